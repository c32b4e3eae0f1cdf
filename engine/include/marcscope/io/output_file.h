#pragma once
// Where written records go: a file written under a temporary name and renamed into place only
// when all of it is written (commit()), so a job that fails or is stopped never destroys or half
// replaces an existing file; something that is not a file (/dev/null, a named pipe), written to
// directly; or standard output.

#include <cstdio>
#include <string>
#include <string_view>

namespace marcscope {

class OutputFile {
 public:
  /// `path` "-" or empty: standard output. Throws IoError when the file cannot be created.
  explicit OutputFile(const std::string& path);
  /// Without commit(), the temporary file is removed and `path` is left as it was.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Throws IoError naming the file when the bytes cannot be written (a full disk ...).
  void write(std::string_view bytes);
  /// Writes out what is buffered when the output is a pipe, a socket or a terminal (a reader may
  /// be waiting for it: `marcscope convert - --to mrk | less` shows each batch as it is made);
  /// a file is left to its buffer. Throws IoError.
  void flush_if_stream();
  /// Flushes, closes and renames the temporary file into place. Throws IoError.
  void commit();
  const std::string& path() const { return path_; }
  std::uint64_t bytes_written() const { return written_; }

 private:
  [[noreturn]] void fail(int error);
  std::FILE* file_ = nullptr;
  std::string path_;
  std::string temp_;
  std::uint64_t written_ = 0;
  bool stream_ = false;  ///< a pipe, a socket or a terminal
};

}  // namespace marcscope
