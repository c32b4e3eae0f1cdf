#include "marcscope/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace marcscope {
namespace {

std::string describe(const std::string& path) { return path == "-" ? std::string("standard input") : "'" + path + "'"; }

std::string read_all(int fd, const std::string& path) {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read " + describe(path) + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

}  // namespace

InputBuffer InputBuffer::open(const std::string& path) {
  InputBuffer in;
  in.name_ = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    in.owned_ = read_all(STDIN_FILENO, path);
    in.data_ = in.owned_.data();
    in.size_ = in.owned_.size();
    return in;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open " + describe(path) + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
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
      ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
      ::close(fd);
      in.data_ = static_cast<const char*>(p);
      in.size_ = static_cast<std::size_t>(st.st_size);
      in.mapped_ = true;
      return in;
    }
  }
  try {
    in.owned_ = read_all(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
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
  if (mapped_ && data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  mapped_ = other.mapped_;
  name_ = std::move(other.name_);
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

InputBuffer::~InputBuffer() {
  if (mapped_ && data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

}  // namespace marcscope
