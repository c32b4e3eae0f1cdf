#pragma once
// Input bytes held in memory: a read-only memory map for regular files, a buffer for the rest.

#include <cstddef>
#include <cstdint>
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
struct JobControl;

/// How a memory-mapped input will be read: a pass from start to end drops the pages it has read
/// (bounded memory on files larger than RAM); a browser that jumps around keeps them.
enum class AccessHint : std::uint8_t { Sequential, Random };

/// A whole input mapped read-only once and shared: by the passes that index, validate and search
/// it and by the threads that fetch records from it at random. Inputs that cannot be mapped
/// (gzip, pipes, standard input) are first copied, decompressed, into an unlinked temporary file.
class MappedFile {
 public:
  /// Opens and maps `path` ("-" = standard input). Throws IoError. Returns null when `control`
  /// asked to stop while a gzip file or a pipe was being copied in.
  static std::shared_ptr<const MappedFile> open(const std::string& path, const JobControl& control);
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  /// Bytes already in memory (copied in), for tests and small inputs.
  static std::shared_ptr<const MappedFile> from_bytes(std::string bytes, std::string name = "<memory>");

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {data_, size_}; }
  std::uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }
  /// True when the bytes are a decompressed or copied temporary, not the file itself.
  bool spooled() const { return spooled_; }
  /// False when the file on disk has become shorter than the mapping (someone truncated or
  /// rewrote it): reading the missing part would kill the process (SIGBUS), so every reader of a
  /// shared mapping checks this first and reports an IoError instead.
  bool intact() const;
  /// Throws IoError naming the file when !intact().
  void check() const;
  /// A source over the mapping that keeps it alive. Sequential drops the pages behind its reader
  /// as it goes (other readers of the mapping fault them in again when they need them).
  std::unique_ptr<ByteSource> source(AccessHint hint) const;

 private:
  MappedFile() = default;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
  bool spooled_ = false;
  int fd_ = -1;  ///< kept open to see whether the file shrinks
  std::string owned_;
  std::string name_;
  std::weak_ptr<const MappedFile> self_;
};

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
