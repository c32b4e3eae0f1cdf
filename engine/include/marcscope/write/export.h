#pragma once
// Writing the records of an indexed file out again: all of them or a selection (a search
// result), in any format, with edited records in place of what the file holds, removed ones
// left out and added ones after the file's. What the app's Save As and Export do; on the pipeline, stoppable, with progress.
// Nothing read is lost: a record left as it was and written as ISO 2709 keeps its exact bytes,
// and one that could not be read is copied as it is (ISO 2709 to ISO 2709) or counted as not
// written.

#include <cstdint>
#include <map>
#include <set>
#include <string_view>
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
  /// Records added (the app's New Record), numbered after the file's: `appended[k]` is record
  /// index().size() + 1 + k. With no selection they are written after the file's records; a
  /// selection names them by those numbers and has them written after the file's records it
  /// names, in the order named. `removed` and `replacements` apply to them as to any record.
  std::vector<Record> appended;
};

struct ExportSummary {
  std::uint64_t written = 0;     ///< records written
  std::uint64_t replaced = 0;    ///< of those, edited ones
  std::uint64_t copied = 0;      ///< unreadable records copied byte for byte (ISO 2709 to ISO 2709)
  std::uint64_t unwritten = 0;   ///< unreadable records the output format cannot hold
  std::uint64_t appended = 0;    ///< of `written`, records of ExportOptions::appended
  bool cancelled = false;        ///< stopped before the end: the output was not committed
};

/// Writes to `out` (begin, records, end) and commits it when the whole selection was written;
/// a stopped export leaves `out` uncommitted (the file at its path untouched). Writer and
/// reading diagnostics go to `also`, batch by batch, when given (not those of appended records,
/// which no batch holds). Throws IoError when the output cannot be written or the input has
/// changed, std::invalid_argument (before writing anything) for a selection naming a record
/// that is neither indexed nor appended.
ExportSummary export_records(const RecordFile& file, const ExportOptions& options, OutputFile& out,
                             const JobControl& control = {}, const BatchConsumer& also = {});

struct SplitSummary {
  ExportSummary good, bad;
};

/// MarcEdit's and `validate --split-good/--split-bad`'s split for an indexed, validated file:
/// every record goes to exactly one of two outputs, `bad` when `report` says it has a problem
/// (FileReport::has_problem: a finding of warning or worse, or a repair) or it could not be read,
/// `good` otherwise; `options` says the format, the edits and the records removed (its `numbers`
/// are ignored). Both outputs are committed only when both were written whole. Throws
/// std::invalid_argument when `report` does not cover the whole index (validation stopped or not
/// finished) or `options` has appended records (the report says nothing about them).
SplitSummary split_records(const RecordFile& file, const FileReport& report, const ExportOptions& options,
                           OutputFile& good, OutputFile& bad, const JobControl& control = {});

/// What the app's New Record starts from: a MARC 21 bibliographic record for a book (leader
/// "     nam a22     i 4500", 008 with `date_entered` (yymmdd) and blanks or fill characters
/// where a cataloguer must choose, 245 with a placeholder title) that the bundled schema finds
/// no error in. Throws std::invalid_argument when `date_entered` is not six digits.
Record new_record_template(std::string_view date_entered);

}  // namespace marcscope
