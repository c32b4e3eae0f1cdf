#pragma once
// Internal to the engine: ISO 2709 input cut into slices by stage 1, and stage 2 over one slice.
// The Pipeline, the push Decoder and random fetch all decode through decode_slice(), so a record
// comes out the same (record, diagnostics, status) whichever way it was read.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/read_options.h"

namespace marcscope {
class Executor;
}

namespace marcscope::detail {

/// What stage 1 found, in input order: a record, a skipped record, or only diagnostics (junk
/// at the end, a Strict stop).
struct SliceItem {
  enum Kind : std::uint8_t { Record, Skipped, Note } kind = Note;
  RecordSpan span;
  std::uint64_t number = 0;
  Diagnostics diags;
};

struct Slice {
  std::uint64_t index = 0;
  std::uint64_t begin = 0, end = 0;
  const char* base = nullptr;        ///< pointer to the byte at absolute offset `base_offset`
  std::uint64_t base_offset = 0;
  std::shared_ptr<const void> keep_alive;
  std::vector<SliceItem> items;
  std::uint64_t records_seen = 0;
  bool stopped = false;

  std::string_view bytes_of(const RecordSpan& span) const {
    return {base + (span.offset - base_offset), span.length};
  }
};

/// Stage 2 (and, when options.decode_records, the owning model) for every item of `slice`.
/// Diagnostics are moved out of the items. `spare`: records of batches done with, taken from its
/// end as needed (the rest left there), whose views keep the room their field lists had: a record
/// delivered with its view then allocates nothing (the Pipeline hands released records back here).
Batch decode_slice(Slice& slice, const ReadOptions& options, std::vector<BatchRecord>* spare = nullptr);

/// An empty batch that covers `slice`: its index, offsets, records seen and the bytes it keeps alive.
Batch batch_for(const Slice& slice);

/// The same, with the slice's items shared out over `executor` when there are many (the push
/// decoder decodes a whole fed chunk at once). The result equals decode_slice's.
Batch decode_slice_parallel(Slice& slice, const ReadOptions& options, Executor& executor);

/// Diagnostic appended for a record that is dropped.
Diagnostic skipped_diagnostic(std::uint64_t number, std::uint64_t offset);
/// Diagnostic appended after the diagnostics of a record Recover changed.
Diagnostic repaired_diagnostic(std::uint64_t number, std::uint64_t offset);

/// RecordStatus warning/error bits for the diagnostics of one record.
std::uint8_t status_of(const Diagnostics& diags, std::size_t from);

}  // namespace marcscope::detail
