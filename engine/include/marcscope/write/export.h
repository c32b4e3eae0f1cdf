#pragma once
// Writing the records of an indexed file out again: all of them or a selection (a search
// result), in any format, with edited records in place of what the file holds and removed ones
// left out. What the app's Save As and Export do; on the pipeline, stoppable, with progress.
// Nothing read is lost: a record left as it was and written as ISO 2709 keeps its exact bytes,
// and one that could not be read is copied as it is (ISO 2709 to ISO 2709) or counted as not
// written.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "marcscope/core/control.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/output_file.h"
#include "marcscope/read/record_file.h"
#include "marcscope/validate/report.h"

namespace marcscope {

struct ExportOptions {
  Format format = Format::Iso2709;
  WriterOptions writer;
  /// The records to write, in this order; empty: every indexed record, in file order (unless
  /// `selected_only`).
  std::vector<std::uint64_t> numbers;
  /// `numbers` is the selection even when it is empty (an empty selection writes an empty file).
  bool selected_only = false;
  /// Commit `out` once everything is written (false: the caller commits it, or leaves it).
  bool commit = true;
  /// Edited records, written instead of what the file holds.
  std::map<std::uint64_t, Record> replacements;
  /// Records left out.
  std::set<std::uint64_t> removed;
};

struct ExportSummary {
  std::uint64_t written = 0;     ///< records written
  std::uint64_t replaced = 0;    ///< of those, edited ones
  std::uint64_t copied = 0;      ///< unreadable records copied byte for byte (ISO 2709 to ISO 2709)
  std::uint64_t unwritten = 0;   ///< unreadable records the output format cannot hold
  bool cancelled = false;        ///< stopped before the end: the output was not committed
};

/// Writes to `out` (begin, records, end) and commits it when the whole selection was written;
/// a stopped export leaves `out` uncommitted (the file at its path untouched). Writer and
/// reading diagnostics go to `also`, batch by batch, when given. Throws IoError when the output
/// cannot be written or the input has changed.
ExportSummary export_records(const RecordFile& file, const ExportOptions& options, OutputFile& out,
                             const JobControl& control = {}, const BatchConsumer& also = {});

struct SplitSummary {
  ExportSummary good, bad;
};

/// MarcEdit's and `validate --split-good/--split-bad`'s split for an indexed, validated file:
/// every record goes to exactly one of two outputs, `bad` when `report` says it has a problem
/// (FileReport::has_problem: a finding of warning or worse, or a repair) or it could not be read,
/// `good` otherwise; `options` says the format and the edits (its `numbers` are ignored). Both
/// outputs are committed only when both were written whole. Throws std::invalid_argument when
/// `report` does not cover the whole index (validation stopped or not finished).
SplitSummary split_records(const RecordFile& file, const FileReport& report, const ExportOptions& options,
                           OutputFile& good, OutputFile& bad, const JobControl& control = {});

}  // namespace marcscope
