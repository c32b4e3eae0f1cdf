#pragma once
// Input bytes held in memory: a read-only memory map for regular files, a buffer for the rest.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace marcscope {

/// Raised when an input cannot be opened or read. The message names the path and the reason.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ByteSource;

class InputBuffer {
 public:
  /// Opens `path` with open_source() ("-" = standard input): regular files stay memory-mapped;
  /// pipes, terminals, special files and gzip input are read into memory. Throws IoError.
  static InputBuffer open(const std::string& path);
  /// Wraps bytes already in memory (copied).
  static InputBuffer from_bytes(std::string bytes);

  InputBuffer(InputBuffer&& other) noexcept;
  InputBuffer& operator=(InputBuffer&& other) noexcept;
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;
  ~InputBuffer();

  std::string_view bytes() const { return {data_, size_}; }
  const std::string& name() const { return name_; }
  bool mapped() const { return mapped_; }

 private:
  InputBuffer() = default;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  std::string owned_;
  std::string name_;
  std::unique_ptr<ByteSource> source_;  ///< owns the mapping when mapped_
};

}  // namespace marcscope
