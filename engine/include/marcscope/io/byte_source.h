#pragma once
// Where input bytes come from: a memory-mapped file, a file descriptor (pipes, standard input),
// a caller's callback (the Python module feeds file objects through one), and gzip on top of any.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "marcscope/io/mapped_file.h"

namespace marcscope {

/// What a source says when its input ended early because it is damaged (a gzip stream that is
/// truncated, corrupt or followed by bytes that are not gzip): read() returned 0 there, after
/// every byte that could be read, so that readers deliver the records before it.
struct SourceDamage {
  std::string message;       ///< empty while nothing is wrong
  std::uint64_t offset = 0;  ///< bytes read() delivered before the damage
};

/// A sequential source of bytes. Implementations throw IoError on read failures.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  /// Reads up to `n` bytes into `buf`; returns 0 only at the end of the input (or, once the
  /// token given to interrupt_on() is asked to stop, at once).
  virtual std::size_t read(char* buf, std::size_t n) = 0;

  /// Lets a read that waits for input (a pipe, a terminal, a socket whose writer is idle) give up
  /// once `stop` is requested: it then returns 0 within about 50 ms, as at the end of the input,
  /// and the stopped job reads no further. Without it such a read waits until the writer writes
  /// or closes, and so does whatever joins the reading thread (a reader's destructor, a job being
  /// cancelled). Sources that never wait ignore it; wrappers pass it on. The readers call it
  /// before they read, on the thread that starts the reading.
  virtual void interrupt_on(std::stop_token /*stop*/) {}

  /// Calls `waiting` on the reading thread each time a read() that waits for a writer (a pipe, a
  /// terminal, a socket whose writer is idle) wakes up with nothing: about every 50 ms, and at
  /// once when a signal interrupts the wait. It may throw: read() then throws that, having taken
  /// nothing, and a later read() goes on where this one would have. The Python module runs the
  /// interpreter's signal handlers there, so that Ctrl-C reaches a reader whose writer is idle.
  /// Sources that never wait ignore it; wrappers pass it on. Set it before reading starts.
  virtual void on_wait(std::function<void()> /*waiting*/) {}

  /// Whether a read() now would return without waiting for a writer (bytes are at hand, or the
  /// input has ended). Streams from a pipe, a socket or a terminal say false while their writer
  /// is idle, so that readers hand over what has come instead of waiting to fill a buffer;
  /// sources that never wait say true (the default); wrappers ask what they wrap.
  virtual bool ready() const { return true; }

  /// The whole input when it is already in memory (a memory-mapped file): readers then slice it
  /// without copying. Empty for streams.
  virtual std::optional<std::string_view> contiguous() const { return std::nullopt; }

  /// Tells a contiguous source that bytes before `offset` will not be read again, so their
  /// pages can be dropped (madvise). A no-op for streams.
  virtual void release_before(std::uint64_t /*offset*/) {}

  /// Tells a contiguous source that bytes [begin, end) will be read soon, so their pages can be
  /// mapped in ahead (by touching one byte per page). Safe to call from several threads at once;
  /// a no-op for streams and where the system cannot do it. The pipeline calls it from its
  /// parallel stage, so that the serial slicer does not take every page fault itself.
  virtual void prefetch(std::uint64_t /*begin*/, std::uint64_t /*end*/) const {}

  /// Total size in bytes when known (for progress and time-left estimates).
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }

  /// A name for messages: the path, "<stdin>", or what the caller chose.
  virtual const std::string& name() const = 0;

  /// Where this source reports damage to its input (gzip: see SourceDamage), shared so that it
  /// outlives the source; null for sources whose input cannot end early that way. Written by
  /// read(): look at it once reading has ended.
  virtual std::shared_ptr<const SourceDamage> damage() const { return nullptr; }
};

/// Reads through a callback: `fill(buf, n)` writes up to n bytes and returns how many, 0 at the
/// end; it may throw. The Python module wraps a file object's readinto() this way.
std::unique_ptr<ByteSource> make_callback_source(std::function<std::size_t(char*, std::size_t)> fill,
                                                 std::string name = "<callback>");

/// Reads bytes mapped or held elsewhere, kept alive by `owner`, without copying them (contiguous).
/// `drop_pages`: release_before() gives pages behind the reader back to the system (mapped files).
std::unique_ptr<ByteSource> make_mapped_source(std::string_view bytes, std::shared_ptr<const void> owner,
                                               std::string name, bool drop_pages);

/// Reads bytes already in memory (copied in).
std::unique_ptr<ByteSource> make_memory_source(std::string bytes, std::string name = "<memory>");

/// Decompresses gzip (one or more members, as `cat a.gz b.gz` makes) from `inner`. A stream that
/// is truncated or corrupt ends there: what was decompressed before it is read, and damage() says
/// what happened.
std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> inner);

/// Whether descriptor `fd` is a pipe, a socket or a terminal: reading it may wait for a writer,
/// and a reader may be waiting at the other end of one written to.
bool is_stream_fd(int fd);

/// Opens a path ("-" = standard input): regular files are memory-mapped, anything else is read
/// with read(2). Gzip input (magic bytes 1F 8B) is decompressed transparently. Throws IoError.
std::unique_ptr<ByteSource> open_source(const std::string& path);

/// What lets a wait for an idle writer end (ByteSource::interrupt_on and on_wait), given to a
/// source before it reads anything.
struct WaitControl {
  std::stop_token stop;
  std::function<void()> on_wait;
};
/// open_source() with `wait` given to the source before its first bytes are read to look for
/// gzip, which waits for a pipe's writer: a job stopped, or Ctrl-C in Python, ends that wait too
/// (a stopped job then reads an empty input). A signal that interrupts the wait of a named pipe
/// for its writer to open it runs `wait.on_wait` as well.
std::unique_ptr<ByteSource> open_source(const std::string& path, WaitControl wait);

/// Reads up to `n` bytes from the start of `source` without losing them: returns the bytes and
/// replaces `source` with one that yields them again before the rest. Contiguous sources are
/// only looked at. With `enough`, reading stops early once it says the bytes read so far are
/// enough (asked after a read, each time the bytes have doubled): a pipe's writer is not waited
/// for beyond what the caller needs.
std::string peek(std::unique_ptr<ByteSource>& source, std::size_t n,
                 const std::function<bool(std::string_view)>& enough = {});

/// Wraps `inner` so gzip is decompressed when its first two bytes are the gzip magic number.
std::unique_ptr<ByteSource> maybe_gunzip(std::unique_ptr<ByteSource> inner);

}  // namespace marcscope
