#pragma once
// Validating what a reader delivers: the per-batch step every front end runs in the pipeline's
// parallel stage, and a whole input in one call.

#include <memory>

#include "marcscope/core/control.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/report.h"
#include "marcscope/validate/validator.h"

namespace marcscope {

/// Validates every record of `batch` and puts each record's findings right after its reading
/// diagnostics. Thread-safe for distinct batches (run it as a BatchTransform).
void validate_batch(const Validator& validator, Batch& batch);

/// Reads all of `reader`, validating each record with `validator` (null: structure and character
/// sets only), and returns the report. `each`, when set, sees every finding in input order from
/// the delivering thread (a CLI prints them as they come).
FileReport validate_all(RecordReader& reader, const Validator* validator, const ReportOptions& options = {},
                        const JobControl& control = {}, const std::function<void(const Finding&)>& each = {});

/// The numbers of the records with a finding of `code` (and, for rule violations, `rule`; empty
/// for any rule), in order, from a report that kept its findings (ReportOptions::keep_findings).
std::vector<std::uint64_t> records_with(const FileReport& report, Code code, std::string_view rule = {});

/// The whole diagnostic, message included, behind a compact finding: the record is scanned,
/// fetched, read and validated again (with the same validator options as the pass that found
/// it), and the diagnostic at the same place is returned. Should none match (another validator,
/// or the file has changed), a diagnostic naming the code and place is made up.
Diagnostic describe_finding(const RecordFile& file, const CompactFinding& finding, const Validator* validator);

}  // namespace marcscope
