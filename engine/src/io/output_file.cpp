#include "marcscope/io/output_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "marcscope/io/byte_source.h"
#include "marcscope/io/mapped_file.h"

namespace marcscope {

OutputFile::OutputFile(const std::string& path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    stream_ = is_stream_fd(::fileno(file_));
    return;
  }
  path_ = path;
  // Something that is not a file (/dev/null, a named pipe, a terminal): written to as it is. A
  // temporary file renamed over it would replace the device or pipe itself with a file.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::is_directory(status)) throw IoError("cannot write '" + path + "': it is a directory");
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    stream_ = is_stream_fd(::fileno(file_));
    return;
  }
  temp_ = path + ".marcscope-partial";
  file_ = std::fopen(temp_.c_str(), "wb");
  if (file_ == nullptr) throw IoError("cannot write '" + path + "': " + std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (!path_.empty() && file_ != nullptr) {
    std::fclose(file_);
    if (!temp_.empty()) std::remove(temp_.c_str());
  }
}

void OutputFile::fail(int error) {
  throw IoError("cannot write " + (path_.empty() ? std::string("standard output") : "'" + path_ + "'") + ": " +
                std::strerror(error));
}

void OutputFile::flush_if_stream() {
  if (stream_ && file_ != nullptr && std::fflush(file_) != 0) fail(errno);
}

void OutputFile::write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (file_ == nullptr) throw IoError("cannot write '" + path_ + "': it was already committed");
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) fail(errno);
  written_ += bytes.size();
}

void OutputFile::commit() {
  if (file_ == nullptr) return;
  if (std::fflush(file_) != 0) fail(errno);
  if (path_.empty()) return;
  if (std::fclose(file_) != 0) {
    const int error = errno;
    file_ = nullptr;
    if (!temp_.empty()) std::remove(temp_.c_str());
    fail(error);
  }
  file_ = nullptr;
  if (temp_.empty()) return;  // written in place (not a file)
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    std::remove(temp_.c_str());
    fail(error);
  }
}

}  // namespace marcscope
