#include "marcscope/io/byte_source.h"

#include <algorithm>

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace marcscope {
namespace {

std::uint64_t page_size() {
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

std::string describe(const std::string& path) { return path == "-" ? std::string("standard input") : "'" + path + "'"; }

/// Unmaps a mapping when the last source over it goes.
struct Mapping {
  const char* data;
  std::size_t size;
  ~Mapping() { ::munmap(const_cast<char*>(data), size); }
};

/// Bytes mapped read-only (a whole regular file), owned by `owner`.
class MappedSource final : public ByteSource {
  static constexpr std::size_t kReleaseStep = 8u << 20;

 public:
  MappedSource(std::string_view bytes, std::shared_ptr<const void> owner, std::string name, bool drop_pages)
      : data_(bytes.data()), size_(bytes.size()), owner_(std::move(owner)), name_(std::move(name)), drop_pages_(drop_pages) {}

  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, size_ - pos_);
    std::memcpy(buf, data_ + pos_, k);
    pos_ += k;
    // What read() has copied out is not needed in the mapping any more: keep resident memory
    // bounded for readers that stream (MARCXML, JSON, .mrk) as release_before() does for the
    // ISO 2709 pipeline.
    release_before(pos_);
    return k;
  }
  std::optional<std::string_view> contiguous() const override { return std::string_view(data_, size_); }
  void release_before(std::uint64_t offset) override {
    if (!drop_pages_) return;
    // The mapping is private and never written, so dropped pages simply fault in again from the
    // file if anyone still reads them: this only bounds resident memory. Dropped 8 MB at a time:
    // each madvise makes the kernel interrupt every other core running this process to flush
    // its TLB, and the pipeline asks after every slice.
    const std::uint64_t page = page_size();
    const std::uint64_t end = std::min<std::uint64_t>(offset, size_) / page * page;
    if (end >= released_ + kReleaseStep) {
      ::madvise(const_cast<char*>(data_) + released_, end - released_, MADV_DONTNEED);
      released_ = end;
    }
  }
  void prefetch(std::uint64_t begin, std::uint64_t end) const override {
    // One read per page: each fault maps the page and, by the kernel's fault-around, its
    // neighbours, exactly as the reader's own first touch would (MADV_POPULATE_READ maps page
    // by page and measured slower).
    const std::uint64_t page = page_size();
    end = std::min<std::uint64_t>(end, size_);
    unsigned char seen = 0;
    for (std::uint64_t at = begin / page * page; at < end; at += page)
      seen |= static_cast<unsigned char>(reinterpret_cast<const volatile char*>(data_)[at]);
    (void)seen;
  }
  std::optional<std::uint64_t> size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  const char* data_;
  std::size_t size_;
  std::shared_ptr<const void> owner_;
  std::size_t pos_ = 0;
  std::uint64_t released_ = 0;
  std::string name_;
  bool drop_pages_;
};

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name, std::optional<std::uint64_t> size)
      : fd_(fd), owned_(owned), name_(std::move(name)), size_(size) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  std::size_t read(char* buf, std::size_t n) override {
    // Waits for input a slice of time at a time, so that a stop request (and whatever
    // on_wait() looks at) is seen while the writer is idle (a regular file is always ready:
    // poll() returns at once).
    while (stop_.stop_possible() || waiting_) {
      if (stop_.stop_requested()) return 0;
      pollfd ready{fd_, POLLIN, 0};
      const int r = ::poll(&ready, 1, 50);
      if (r > 0 || (r < 0 && errno != EINTR)) break;  // readable, closed or failing: read() tells which
      if (waiting_) waiting_();  // may throw: nothing has been read
    }
    for (;;) {
      ssize_t k = ::read(fd_, buf, n);
      if (k >= 0) return static_cast<std::size_t>(k);
      if (errno == EINTR) continue;
      throw IoError("cannot read " + describe(name_ == "<stdin>" ? "-" : name_) + ": " + std::strerror(errno));
    }
  }
  void interrupt_on(std::stop_token stop) override { stop_ = std::move(stop); }
  void on_wait(std::function<void()> waiting) override { waiting_ = std::move(waiting); }
  bool ready() const override {
    pollfd ready{fd_, POLLIN, 0};
    return ::poll(&ready, 1, 0) != 0;  // readable, closed, or failing (read() says how)
  }
  std::optional<std::uint64_t> size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  bool owned_;
  std::stop_token stop_;
  std::function<void()> waiting_;
  std::string name_;
  std::optional<std::uint64_t> size_;
};

class CallbackSource final : public ByteSource {
 public:
  CallbackSource(std::function<std::size_t(char*, std::size_t)> fill, std::string name)
      : fill_(std::move(fill)), name_(std::move(name)) {}
  std::size_t read(char* buf, std::size_t n) override { return fill_(buf, n); }
  const std::string& name() const override { return name_; }

 private:
  std::function<std::size_t(char*, std::size_t)> fill_;
  std::string name_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}
  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::string_view> contiguous() const override { return std::string_view(bytes_); }
  std::optional<std::uint64_t> size() const override { return bytes_.size(); }
  const std::string& name() const override { return name_; }

 private:
  std::string bytes_;
  std::size_t pos_ = 0;
  std::string name_;
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> inner) : inner_(std::move(inner)), in_(1 << 18) {
    std::memset(&z_, 0, sizeof z_);
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw IoError("cannot decompress " + inner_->name() + ": zlib failed to start");
  }
  ~GzipSource() override { inflateEnd(&z_); }

  std::size_t read(char* buf, std::size_t n) override {
    if (done_ || n == 0) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    const uInt room = z_.avail_out;
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        // What has come is handed over rather than waiting for an idle writer to fill `buf`.
        if (z_.avail_out < room && !inner_->ready()) break;
        const std::size_t k = inner_->read(in_.data(), in_.size());
        if (k == 0) {
          if (!member_ended_) damaged("the gzip data is truncated");
          done_ = true;
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(k);
        in_read_ += k;
      }
      if (member_ended_ && (z_.avail_in < 2 || static_cast<unsigned char>(z_.next_in[0]) != 0x1F ||
                            static_cast<unsigned char>(z_.next_in[1]) != 0x8B)) {
        // After a whole member, only another member may follow (or padding of NULs, as tape
        // blocks leave: gzip(1) ignores those too).
        if (std::all_of(z_.next_in, z_.next_in + z_.avail_in, [](Bytef b) { return b == 0; })) {
          z_.avail_in = 0;
          continue;
        }
        if (z_.avail_in >= 2 || static_cast<unsigned char>(z_.next_in[0]) != 0x1F) {
          damaged("bytes that are not gzip data follow the end of the compressed stream");
          done_ = true;
          break;
        }
      }
      member_ended_ = false;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Concatenated gzip members form one stream (cat a.gz b.gz).
        member_ended_ = true;
        inflateReset(&z_);
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        damaged(z_.msg ? z_.msg : "corrupt gzip data");
        done_ = true;
        break;
      }
      if (rc == Z_BUF_ERROR && z_.avail_in > 0) break;
    }
    const std::size_t got = n - z_.avail_out;
    out_ += got;
    if (done_) damage_->offset = out_;
    return got;
  }
  void interrupt_on(std::stop_token stop) override { inner_->interrupt_on(std::move(stop)); }
  void on_wait(std::function<void()> waiting) override { inner_->on_wait(std::move(waiting)); }
  bool ready() const override { return done_ || z_.avail_in > 0 || inner_->ready(); }
  const std::string& name() const override { return inner_->name(); }
  std::shared_ptr<const SourceDamage> damage() const override { return damage_; }

 private:
  /// The input ends here: what was decompressed before is delivered, and the rest is lost.
  void damaged(const std::string& why) {
    const std::uint64_t at = in_read_ - z_.avail_in;  // compressed bytes used
    damage_->message = "cannot decompress all of " + inner_->name() + ": " + why + " (at byte " + std::to_string(at) +
                       " of the compressed data); nothing after it can be read";
  }

  std::unique_ptr<ByteSource> inner_;
  std::vector<char> in_;
  z_stream z_;
  bool done_ = false;
  bool member_ended_ = false;
  std::uint64_t in_read_ = 0;  ///< compressed bytes read from inner_
  std::uint64_t out_ = 0;      ///< decompressed bytes returned before this read()
  std::shared_ptr<SourceDamage> damage_ = std::make_shared<SourceDamage>();
};

/// Puts back bytes already read from a stream (to sniff the gzip magic number).
class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> inner) : prefix_(std::move(prefix)), inner_(std::move(inner)) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (pos_ < prefix_.size()) {
      const std::size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return inner_->read(buf, n);
  }
  void interrupt_on(std::stop_token stop) override { inner_->interrupt_on(std::move(stop)); }
  void on_wait(std::function<void()> waiting) override { inner_->on_wait(std::move(waiting)); }
  bool ready() const override { return pos_ < prefix_.size() || inner_->ready(); }
  std::optional<std::uint64_t> size() const override { return inner_->size(); }
  const std::string& name() const override { return inner_->name(); }
  std::shared_ptr<const SourceDamage> damage() const override { return inner_->damage(); }

 private:
  std::string prefix_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteSource> inner_;
};

}  // namespace

std::unique_ptr<ByteSource> make_callback_source(std::function<std::size_t(char*, std::size_t)> fill, std::string name) {
  return std::make_unique<CallbackSource>(std::move(fill), std::move(name));
}

std::unique_ptr<ByteSource> make_mapped_source(std::string_view bytes, std::shared_ptr<const void> owner, std::string name,
                                               bool drop_pages) {
  return std::make_unique<MappedSource>(bytes, std::move(owner), std::move(name), drop_pages);
}

std::unique_ptr<ByteSource> make_memory_source(std::string bytes, std::string name) {
  return std::make_unique<MemorySource>(std::move(bytes), std::move(name));
}

std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> inner) {
  return std::make_unique<GzipSource>(std::move(inner));
}

std::unique_ptr<ByteSource> maybe_gunzip(std::unique_ptr<ByteSource> inner) {
  if (auto all = inner->contiguous()) {
    if (all->size() >= 2 && static_cast<unsigned char>((*all)[0]) == 0x1F && static_cast<unsigned char>((*all)[1]) == 0x8B)
      return make_gzip_source(std::move(inner));
    return inner;
  }
  std::string head(2, '\0');
  std::size_t got = 0;
  while (got < 2) {
    const std::size_t k = inner->read(head.data() + got, 2 - got);
    if (k == 0) break;
    got += k;
  }
  head.resize(got);
  const bool gz = got == 2 && static_cast<unsigned char>(head[0]) == 0x1F && static_cast<unsigned char>(head[1]) == 0x8B;
  auto prefixed = std::make_unique<PrefixedSource>(std::move(head), std::move(inner));
  if (gz) return make_gzip_source(std::move(prefixed));
  return prefixed;
}

std::string peek(std::unique_ptr<ByteSource>& source, std::size_t n, const std::function<bool(std::string_view)>& enough) {
  if (auto all = source->contiguous()) return std::string(all->substr(0, n));
  std::string head(n, '\0');
  std::size_t got = 0, ask_at = 1;
  while (got < n) {
    const std::size_t k = source->read(head.data() + got, n - got);
    if (k == 0) break;
    got += k;
    // Asked each time the bytes have doubled: a trickle of tiny reads costs a few asks, not one
    // per read.
    if (enough && got >= ask_at) {
      if (enough(std::string_view(head.data(), got))) break;
      ask_at = 2 * got;
    }
  }
  head.resize(got);
  source = std::make_unique<PrefixedSource>(head, std::move(source));
  return head;
}

bool is_stream_fd(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode));
}

std::unique_ptr<ByteSource> open_source(const std::string& path) { return open_source(path, WaitControl{}); }

std::unique_ptr<ByteSource> open_source(const std::string& path, WaitControl wait) {
  const auto waiting = [&](std::unique_ptr<ByteSource> source) {
    if (wait.stop.stop_possible()) source->interrupt_on(wait.stop);
    if (wait.on_wait) source->on_wait(std::move(wait.on_wait));
    return maybe_gunzip(std::move(source));
  };
  if (path == "-") return waiting(std::make_unique<FdSource>(STDIN_FILENO, false, "<stdin>", std::nullopt));
  int fd = -1;
  for (;;) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 || errno != EINTR) break;
    // A signal while a named pipe waits for a writer to open it: the caller's check (Python's
    // Ctrl-C), and a stopped job reads an empty input; else it waits on.
    if (wait.on_wait) wait.on_wait();
    if (wait.stop.stop_requested()) return make_memory_source({}, path);
  }
  if (fd < 0) throw IoError("cannot open " + describe(path) + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw IoError("cannot read " + describe(path) + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw IoError("cannot read " + describe(path) + ": it is a directory");
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::close(fd);
      ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
      // Made in place: a temporary Mapping would unmap the file as it goes.
      std::shared_ptr<const Mapping> mapping(new Mapping{static_cast<const char*>(p), static_cast<std::size_t>(st.st_size)});
      const std::string_view bytes(mapping->data, mapping->size);
      return maybe_gunzip(std::make_unique<MappedSource>(bytes, std::move(mapping), path, true));
    }
  }
  std::optional<std::uint64_t> size;
  if (S_ISREG(st.st_mode)) size = static_cast<std::uint64_t>(st.st_size);
  return waiting(std::make_unique<FdSource>(fd, true, path, size));
}

}  // namespace marcscope
