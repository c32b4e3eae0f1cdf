#pragma once
// The push decoder: the caller reads, the engine decodes. A host that must do its own reading
// (Python with a file object: read() needs the GIL) feeds chunks as it reads them and gets back
// the records each chunk completed; decoding runs on the calling thread, or on the executor's
// threads for large chunks, and never calls back into the caller's I/O.
//
//   Decoder decoder(options);
//   while (read(chunk)) consume(decoder.feed(chunk));
//   consume(decoder.finish());
//
// The records, diagnostics, numbers and offsets are those RecordReader gives for the same bytes,
// whatever the chunk sizes.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

class ByteSource;

class Decoder {
 public:
  /// `name` names the input in messages. The format is options.format, or detected from the
  /// first bytes fed: up to 64 KB are held back until it can be told, and no more than it takes
  /// (detection_settled()).
  explicit Decoder(ReadOptions options = {}, std::string name = "<stream>");
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  /// Adds `bytes` and returns the records (and skipped records, and diagnostics) they completed.
  /// Throws NotMarcError when the first bytes are not MARC, std::logic_error after finish().
  Batch feed(std::string_view bytes);
  /// The input has ended: returns what is left (a record cut short is reported, not dropped).
  Batch finish();
  /// For an input already whole in memory (a mapped file: ByteSource::contiguous()), which
  /// `owner` keeps alive: decodes the next `max_bytes` or so of `whole` (the last record may run
  /// past them) and returns their records, which point into `whole` (the batch keeps `owner`):
  /// ISO 2709 is not copied at all; other formats are fed as feed() feeds them. Call it with the
  /// same `whole` until finished(), in place of feed() and finish() (feed() after it, or it after
  /// feed(), throws std::logic_error; finish() stops it where it is). The same records,
  /// diagnostics, numbers and offsets as feed() gives for the same bytes.
  Batch feed_from(std::string_view whole, std::size_t max_bytes, const std::shared_ptr<const void>& owner);
  /// The next records of `source`, read and decoded on the calling thread: in place with
  /// feed_from() when the source is whole in memory (`owner` keeps it alive: the source itself,
  /// shared), else `chunk` bytes at a time through feed() and finish(); the bytes behind the
  /// batches already returned are released from memory. Empty only once finished(). Not mixed
  /// with feed() or feed_from() calls of the caller's own.
  Batch read_from(ByteSource& source, const std::shared_ptr<const void>& owner, std::size_t chunk);
  /// finish() was called, feed_from() has read its input to the end, or read_from() has.
  bool finished() const { return finished_; }

  /// Unknown until enough bytes were fed to tell.
  Format format() const;
  /// True when Strict mode stopped on an error: later feeds return nothing.
  bool stopped() const;
  /// Records seen so far, delivered or skipped.
  std::uint64_t records_seen() const;
  /// Bytes fed so far.
  std::uint64_t bytes_fed() const;
  /// Bytes fed and still held: not yet handed over in a batch (a record not yet complete, the
  /// tail of a junk run that a record could still start in, bytes held for detection). Stays
  /// below a record's 99,999 bytes plus the last chunk fed, whatever the input (ISO 2709).
  std::uint64_t bytes_held() const;

  struct Impl;

 private:
  Batch decode_held(bool at_end);
  ReadOptions options_;
  std::string name_;
  std::string held_;  ///< bytes fed before the format could be told
  std::size_t detect_ask_at_ = 1;  ///< held_ this long: ask detection_settled() again
  std::uint64_t fed_ = 0;
  bool finished_ = false;
  std::vector<char> read_buffer_;  ///< read_from() from a stream
  bool fed_by_feed_ = false;  ///< feed() was used: feed_from() may not be
  bool in_place_ = false;     ///< feed_from() was used: feed() may not be
  std::unique_ptr<Impl> impl_;
};

}  // namespace marcscope
