#include "marcscope/io/mapped_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/io/byte_source.h"

namespace marcscope {

InputBuffer InputBuffer::open(const std::string& path) {
  auto source = open_source(path);
  InputBuffer in;
  in.name_ = source->name();
  if (auto whole = source->contiguous()) {
    in.data_ = whole->data();
    in.size_ = whole->size();
    in.mapped_ = true;
    in.source_ = std::move(source);
    return in;
  }
  char buf[1 << 16];
  while (const std::size_t n = source->read(buf, sizeof buf)) in.owned_.append(buf, n);
  in.data_ = in.owned_.data();
  in.size_ = in.owned_.size();
  return in;
}

InputBuffer InputBuffer::from_bytes(std::string bytes) {
  InputBuffer in;
  in.name_ = "<memory>";
  in.owned_ = std::move(bytes);
  in.data_ = in.owned_.data();
  in.size_ = in.owned_.size();
  return in;
}

InputBuffer::InputBuffer(InputBuffer&& other) noexcept { *this = std::move(other); }

InputBuffer& InputBuffer::operator=(InputBuffer&& other) noexcept {
  if (this == &other) return *this;
  mapped_ = other.mapped_;
  name_ = std::move(other.name_);
  source_ = std::move(other.source_);  // the mapping does not move with it
  if (mapped_) {
    data_ = other.data_;
    size_ = other.size_;
  } else {
    owned_ = std::move(other.owned_);
    data_ = owned_.data();
    size_ = owned_.size();
  }
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = false;
  return *this;
}

InputBuffer::~InputBuffer() = default;

namespace {

std::string describe(const std::string& path) { return path == "-" ? std::string("standard input") : "'" + path + "'"; }

/// An unlinked temporary file (nobody else can open it; it goes when closed).
int temporary_file(const std::string& for_path) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/marcscope-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    throw IoError("cannot read " + describe(for_path) + ": no temporary file for its decompressed bytes (" +
                  std::strerror(errno) + ")");
  ::unlink(pattern.c_str());
  return fd;
}

void write_all(int fd, const char* data, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t k = ::write(fd, data, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read " + describe(path) + ": writing its decompressed bytes to a temporary file failed (" +
                    std::strerror(errno) + ")");
    }
    data += k;
    n -= static_cast<std::size_t>(k);
  }
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) { return open(path, JobControl{}); }

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, const JobControl& control) {
  std::shared_ptr<MappedFile> file(new MappedFile);
  file->name_ = path == "-" ? std::string("<stdin>") : path;
  int fd = -1;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError("cannot open " + describe(path) + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
      const int err = errno;
      ::close(fd);
      throw IoError("cannot read " + describe(path) + ": " + (S_ISDIR(st.st_mode) ? "it is a directory" : std::strerror(err)));
    }
    unsigned char magic[2] = {0, 0};
    const bool gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    if (S_ISREG(st.st_mode) && !gzip) {
      file->fd_ = fd;
      file->size_ = static_cast<std::size_t>(st.st_size);
      if (file->size_ > 0) {
        void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
          const int err = errno;
          ::close(fd);
          file->fd_ = -1;
          throw IoError("cannot read " + describe(path) + ": " + std::strerror(err));
        }
        file->data_ = static_cast<const char*>(p);
        file->mapped_ = true;
      }
      file->self_ = file;
      return file;
    }
    ::close(fd);
  }
  // Gzip, pipes and standard input: decompressed or copied into a temporary file, then mapped.
  auto source = open_source(path);
  const int tmp = temporary_file(path);
  file->fd_ = tmp;
  file->spooled_ = true;
  std::vector<char> buf(1u << 20);
  ProgressThrottle progress(control);
  std::uint64_t total = 0;
  while (const std::size_t n = source->read(buf.data(), buf.size())) {
    write_all(tmp, buf.data(), n, path);
    total += n;
    progress.report(0, total, std::nullopt);
    if (control.stop.stop_requested()) return nullptr;  // the destructor closes the temporary file
  }
  file->size_ = static_cast<std::size_t>(total);
  if (total > 0) {
    void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, tmp, 0);
    if (p == MAP_FAILED) throw IoError("cannot read " + describe(path) + ": " + std::strerror(errno));
    file->data_ = static_cast<const char*>(p);
    file->mapped_ = true;
  }
  progress.report(0, total, total, true);
  file->self_ = file;
  return file;
}

std::shared_ptr<const MappedFile> MappedFile::from_bytes(std::string bytes, std::string name) {
  std::shared_ptr<MappedFile> file(new MappedFile);
  file->owned_ = std::move(bytes);
  file->data_ = file->owned_.data();
  file->size_ = file->owned_.size();
  file->name_ = std::move(name);
  file->self_ = file;
  return file;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<char*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

bool MappedFile::intact() const {
  if (!mapped_ || spooled_) return true;
  struct stat st {};
  return ::fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= size_;
}

void MappedFile::check() const {
  if (!intact())
    throw IoError("cannot read " + describe(name_) +
                  ": the file was truncated or rewritten while it was open; open it again to see its new contents");
}

std::unique_ptr<ByteSource> MappedFile::source(AccessHint hint) const {
  return make_mapped_source(bytes(), self_.lock(), name_, hint == AccessHint::Sequential && mapped_);
}

}  // namespace marcscope
