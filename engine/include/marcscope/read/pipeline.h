#pragma once
// The parallel reading pipeline: a serial slicer (stage 1, record boundaries), a parallel decoder
// (stage 2, charset conversion, the caller's per-batch work) and an in-order delivery stage,
// on oneTBB's parallel_pipeline. Memory stays bounded whatever the input size: at most `tokens`
// slices of about `slice_bytes` are in flight.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/io/byte_source.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/model/record.h"
#include "marcscope/iso2709/record_scanner.h"

namespace marcscope {

struct PipelineOptions {
  ReadOptions read;
  unsigned threads = 0;                 ///< 0 = every core
  std::size_t slice_bytes = 256u << 10; ///< a slice is cut at the first record end after this many bytes
                                        ///< (256 KiB: its decoded records stay in cache; 1 MiB measured
                                        ///< 5-8% slower decoding to the model at 2 threads)
  std::size_t tokens = 0;               ///< slices in flight; 0 = 2 per thread + 2
  bool decode = true;                   ///< build owning UTF-8 Records in the parallel stage
};

/// One delivered record. `bytes` points into the input and stays valid while its Batch (or a copy
/// of the Batch's keep-alive) lives.
struct BatchRecord {
  std::uint64_t number = 0;  ///< 1-based record number in the input (skipped records count too)
  std::uint64_t offset = 0;  ///< absolute byte offset of the leader
  std::string_view bytes;    ///< the raw ISO 2709 record
  bool repaired = false;
  Record record;             ///< the decoded record when PipelineOptions::decode
};

/// The records of one slice, in input order, with every diagnostic found in it (in input order).
struct Batch {
  std::uint64_t index = 0;         ///< 0-based slice number
  std::uint64_t begin_offset = 0;  ///< absolute offset of the slice's first byte
  std::uint64_t end_offset = 0;    ///< absolute offset just past the slice
  std::uint64_t records_seen = 0;  ///< records seen up to the end of this slice, delivered or skipped
  std::vector<BatchRecord> records;
  Diagnostics diagnostics;
  std::string output;              ///< free for the caller's transform (e.g. encoded output)
  std::uint64_t skipped = 0;       ///< records dropped in this slice (Permissive/Recover)
  /// The raw bytes of each dropped record (number, bytes), so nothing read is lost: a caller can
  /// still write them somewhere (e.g. a file of bad records).
  std::vector<std::pair<std::uint64_t, std::string_view>> skipped_bytes;
  bool stopped = false;            ///< Strict mode stopped inside this slice: nothing follows it
  std::shared_ptr<const void> keep_alive;  ///< owns the bytes `records[i].bytes` point into
};

struct Progress {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> total_bytes;
  double seconds = 0;
};

/// Runs in the parallel stage after decoding; must be thread-safe and must not touch state
/// shared with other batches without synchronisation.
using BatchTransform = std::function<void(Batch&)>;
/// Runs in the serial, in-order delivery stage. Return false to stop reading.
using BatchConsumer = std::function<bool(Batch&)>;
using ProgressCallback = std::function<void(const Progress&)>;

class Pipeline {
 public:
  Pipeline(std::unique_ptr<ByteSource> source, PipelineOptions options, BatchTransform transform = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Push interface: reads the whole input, handing batches to `consume` in input order from
  /// the calling thread's pipeline. Exceptions thrown by any stage (or by `consume`) are
  /// rethrown here after the pipeline has drained. Call once.
  void run(const BatchConsumer& consume, const ProgressCallback& progress = {});

  /// Pull interface: up to `max_records` records (and the diagnostics that go with them) in input
  /// order; an empty result (records and diagnostics) means the end. The pipeline runs on a
  /// background thread, bounded by its tokens, and rethrows stage exceptions here.
  Batch next_batch(std::size_t max_records);

  /// Stops reading as soon as possible (from any thread); run() then returns normally and
  /// next_batch() returns what was already delivered, then the end.
  void cancel();
  bool cancelled() const;
  /// True when Strict mode stopped on a structural error.
  bool stopped() const;

  const std::string& name() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

/// Stage 1 alone over a whole input: the compact offset index (16 bytes per record) that random
/// access and the GUI use. Diagnostics from stage 1 are appended to `diags`.
std::vector<RecordSpan> build_index(ByteSource& source, ReadMode mode, Diagnostics& diags);

}  // namespace marcscope
