#pragma once
// The front door for reading: one reader for every format and every source.
//
//   auto reader = RecordReader::open("catalogue.mrc.gz");        // format detected, gzip undone
//   BatchRecord rec; Diagnostics diags;
//   while (reader->next(rec, diags) != ReadStep::End) { ... }    // one at a time (pymarc's way)
//   Batch b = reader->next_batch(1000);                          // or in batches
//   reader->run(consume, transform, control);                    // or pushed on every core
//
// ISO 2709 is read by the Pipeline (stage 1 serial, stage 2 parallel); MARCXML, MARC-in-JSON and
// MARCMaker by their streaming readers under run_stream_pipeline (MARCXML parsed in parallel
// chunks where the document allows). Pulling (next, next_batch) runs the same pipeline on a
// background thread behind a bounded queue, so memory is bounded whatever the input size.
// A reader is used by one thread at a time, except cancel(), which any thread may call.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "marcscope/core/control.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

/// Raised when an input is not MARC in any format the engine reads (nothing is delivered).
/// The message starts with "not MARC: " and says what the input looks like.
class NotMarcError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ReadStep : std::uint8_t {
  Record,   ///< a record was delivered
  Skipped,  ///< a record could not be read: its number, offset and bytes are given, no Record
  End,      ///< nothing more (the input ended, Strict stopped, or the reader was cancelled)
};

/// What run() saw.
struct ReadSummary {
  std::uint64_t records_seen = 0;   ///< delivered or skipped
  std::uint64_t delivered = 0;
  std::uint64_t skipped = 0;
  std::uint64_t repaired = 0;
  bool stopped = false;             ///< Strict mode stopped on an error
  bool cancelled = false;           ///< cancel(), the stop token or the consumer ended it early
  /// The input held no record at all and its reader said why it is not MARC (an XML document
  /// whose first 64 KB, where the format is told, had no sign of it): `not_marc` is that message.
  std::string not_marc;
};

class RecordReader {
 public:
  /// Opens a path ("-" = standard input): regular files are memory-mapped, gzip is decompressed.
  /// Throws IoError when the input cannot be read and NotMarcError when it is not MARC.
  static std::unique_ptr<RecordReader> open(const std::string& path, ReadOptions options = {});
  /// Reads any byte source (a caller's callback, a pipe ...). Gzip is decompressed.
  static std::unique_ptr<RecordReader> open(std::unique_ptr<ByteSource> source, ReadOptions options = {});
  /// Reads bytes held in memory (copied in).
  static std::unique_ptr<RecordReader> open_bytes(std::string bytes, ReadOptions options = {},
                                                  std::string name = "<memory>");

  virtual ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  Format format() const { return format_; }
  const std::string& name() const { return name_; }
  /// The input's size in bytes when known.
  std::optional<std::uint64_t> size() const { return size_; }
  const ReadOptions& options() const { return options_; }

  /// One record at a time. Diagnostics found since the previous call are appended to `diags`.
  /// `record.bytes` stays valid until the next call.
  ReadStep next(BatchRecord& record, Diagnostics& diags);
  /// Up to `max_records` records (and the skipped records and diagnostics that go with them)
  /// in input order; an empty() batch means the end. Records of one batch share its keep_alive.
  Batch next_batch(std::size_t max_records);
  /// Waits at most `within` for next_batch() to have something to return at once (records, or
  /// the end); true when it has. Pulling only (the first call starts reading, as next_batch()'s
  /// does). A caller that must stay responsive while an idle writer holds up the input (the
  /// Python module runs its signal handlers between waits: Ctrl-C) waits this way, a slice of
  /// time at a time, before it calls next_batch().
  bool wait(std::chrono::milliseconds within);
  /// Hands back a batch next_batch() returned, once the caller is done with it: the ISO 2709
  /// pipeline decodes into its records again (their views keep their room), and the rest is freed
  /// off the caller's thread, so that a consumer that must keep pace with the pipeline (Python's
  /// iterator) spends nothing on it. Optional: a batch simply dropped is freed where it is
  /// dropped. Any thread that may call next_batch() may call it.
  void give_back(Batch&& done);
  /// Reads everything that is left on the pipeline: `transform` runs on each batch in parallel,
  /// `consume` in input order (return false to stop). Exceptions from any stage are rethrown here.
  /// Call once, and not after next() or next_batch() (std::logic_error).
  ReadSummary run(const BatchConsumer& consume, const BatchTransform& transform = {}, const JobControl& control = {});

  /// Stops reading as soon as possible, from any thread: run() returns normally, pulls return
  /// what was already read, then the end.
  void cancel();
  bool cancelled() const;
  /// True when Strict mode stopped on a structural error.
  bool stopped() const;
  /// Records seen so far by whoever consumed them (delivered or skipped).
  std::uint64_t records_seen() const { return seen_; }

 protected:
  RecordReader(Format format, std::string name, std::optional<std::uint64_t> size, ReadOptions options);
  /// The implementation: reads everything on the pipeline, once; stops when `control.stop` asks.
  virtual void push(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control) = 0;

 private:
  struct Pull;
  /// The pull's background reading, started on first use.
  Pull& pull();
  ReadSummary push_counted(const BatchConsumer& consume, const BatchTransform& transform, const JobControl& control);

  Format format_;
  std::string name_;
  std::optional<std::uint64_t> size_;
  ReadOptions options_;
  std::stop_source stop_;
  std::unique_ptr<Pull> pull_;
  /// The input's damage report (a gzip stream cut short: ByteSource::damage()), said after the
  /// records before it as Code::InputDamaged.
  std::shared_ptr<const SourceDamage> damage_;
  std::atomic<bool> stopped_{false};
  bool pushed_ = false;
  std::uint64_t seen_ = 0;
  // next(): the batch being handed out one record at a time.
  Batch current_;
  std::size_t current_record_ = 0, current_skip_ = 0, current_diag_ = 0;
};

/// Detects the format of `source` (not consuming what it looks at): options.format when given,
/// else from the first 64 KB. Throws NotMarcError when nothing fits and the input is not empty.
Format detect_input_format(std::unique_ptr<ByteSource>& source, const ReadOptions& options);
/// The same from the first bytes of an input (up to 64 KB) and its name (a path, or "<stdin>"...).
Format detect_input_format(std::string_view head, const std::string& name);

}  // namespace marcscope
