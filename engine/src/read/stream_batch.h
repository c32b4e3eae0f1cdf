#pragma once
// Internal to the engine: what batches of records read by a RecordStream (MARCXML, MARC-in-JSON,
// MARCMaker) need before they are handed over, shared by the stream pipeline and the push decoder.

#include "marcscope/read/batch.h"

namespace marcscope::detail {

/// What the CLI and every consumer expect of a batch: skipped records listed, each record's
/// status from its diagnostics, a Fatal diagnostic as a stop.
inline void tally_stream_batch(Batch& batch) {
  std::size_t r = 0;
  for (const auto& d : batch.diagnostics) {
    if (d.code == Code::RecordSkipped) batch.skipped.push_back({d.record, d.offset, {}});
    if (d.severity == Severity::Fatal) batch.stopped = true;
    if (d.record == 0) continue;
    while (r < batch.records.size() && batch.records[r].number < d.record) ++r;
    if (r == batch.records.size() || batch.records[r].number != d.record) continue;
    BatchRecord& rec = batch.records[r];
    if (d.code == Code::RecordRepaired) {
      rec.repaired = true;
      rec.status |= RecordStatus::kRepaired;
    } else if (d.severity >= Severity::Error) {
      rec.status |= RecordStatus::kErrors;
    } else if (d.severity == Severity::Warning) {
      rec.status |= RecordStatus::kWarnings;
    }
  }
  for (auto& rec : batch.records) rec.status |= RecordStatus::kUtf8;
}

}  // namespace marcscope::detail
