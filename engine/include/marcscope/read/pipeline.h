#pragma once
// The parallel ISO 2709 pipeline: a serial slicer (stage 1, record boundaries), a parallel decoder
// (stage 2, charset conversion, the caller's per-batch work) and an in-order delivery stage,
// on oneTBB's parallel_pipeline. Memory stays bounded whatever the input size: at most `tokens`
// slices of about `slice_bytes` are in flight. Most callers want RecordReader (record_reader.h),
// which runs this for ISO 2709 input.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"

namespace marcscope {

/// A record already found (by an index): where it is and its number.
struct IndexedSpan {
  std::uint64_t number = 0;
  std::uint64_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t flags = 0;  ///< RecordSpan::Flag bits stage 1 gave it, and kSkippedByStage1

  /// Stage 1 could not use these bytes as a record (Permissive): they are reported, not decoded.
  static constexpr std::uint32_t kSkippedByStage1 = 1u << 31;
};

/// Decodes one record of another format than ISO 2709 from its bytes (a fragment of the input):
/// appends a BatchRecord, or a SkippedRecord, to `batch`, with diagnostics. Must be thread-safe.
using FragmentDecoder = std::function<void(std::string_view bytes, const IndexedSpan& span, Batch& batch)>;

class Pipeline {
 public:
  /// Scans `source` from `start_offset` (stage 1), numbering records after `records_before`
  /// (both 0 for a whole input; a resumed read starts where an earlier one stopped).
  Pipeline(std::unique_ptr<ByteSource> source, ReadOptions options, BatchTransform transform = {},
           std::uint64_t start_offset = 0, std::uint64_t records_before = 0);
  /// Decodes only `spans` (in input order) of a contiguous `source`: a filtered selection, or the
  /// rest of a file after a cancel. ISO 2709 unless `fragments` decodes another format.
  Pipeline(std::unique_ptr<ByteSource> source, std::vector<IndexedSpan> spans, ReadOptions options,
           BatchTransform transform = {}, FragmentDecoder fragments = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Reads the whole input, handing batches to `consume` in input order from the calling thread's
  /// pipeline. Exceptions thrown by any stage (or by `consume`) are rethrown here after the
  /// pipeline has drained. Call once.
  void run(const BatchConsumer& consume, const JobControl& control = {});

  /// Stops reading as soon as possible (from any thread); run() then returns normally.
  void cancel();
  bool cancelled() const;
  /// True when Strict mode stopped on a structural error.
  bool stopped() const;
  /// Records seen by stage 1 so far (delivered or skipped).
  std::uint64_t records_seen() const;

  const std::string& name() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

/// Stage 1 alone over a whole input, serially: where every record is, skipped ones included
/// (the reference the record index is tested against). Diagnostics are appended to `diags`.
std::vector<IndexedSpan> scan_spans(ByteSource& source, ReadMode mode, Diagnostics& diags);

}  // namespace marcscope
