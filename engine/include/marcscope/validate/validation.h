#pragma once
// Validating what a reader delivers: the per-batch step every front end runs in the pipeline's
// parallel stage, and a whole input in one call.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "marcscope/core/control.h"
#include "marcscope/read/batch.h"
#include "marcscope/read/record_file.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/report.h"
#include "marcscope/validate/validator.h"

namespace marcscope {

/// Validates every record of `batch` and puts each record's findings right after its reading
/// diagnostics. Thread-safe for distinct batches (run it as a BatchTransform). A record delivered
/// `as_is` (ReadOptions::skip_as_is) is validated from its view, with no model built: the same
/// findings as its model's.
/// `demand`, when given, is the one the report of this input is filled with (ReportOptions::demand).
void validate_batch(const Validator& validator, Batch& batch, const MessageDemand* demand = nullptr);

/// Sets the reading options a whole-input validation reads fastest with: records that need no
/// change are not decoded (skip_as_is; validate_batch() and FileReport read their views). For a
/// pass that only validates and reports: a consumer that wants every record's model leaves it.
void read_for_validation(ReadOptions& options);

/// Reads all of `reader`, validating each record with `validator` (null: structure and character
/// sets only), and returns the report. `each`, when set, sees every finding in input order from
/// the delivering thread (a CLI prints them as they come). With no `each`, findings that are not
/// kept as examples carry no message (MessageDemand: `options.demand`, or one of its own).
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

/// What describe_findings() handed over.
struct DescribedFindings {
  std::uint64_t count = 0;  ///< findings handed over
  bool cancelled = false;   ///< stopped (JobControl::stop) before the last one
};

/// Every finding `report` kept (ReportOptions::keep_findings), in the report's order, with its
/// whole message and the 001 of its record, exactly as the validation that made the report (and
/// `marcscope validate`) delivered them: the file is read again on the pipeline in record order
/// as that validation read it (so reading diagnostics keep their whole-file context: why a record
/// was skipped, an XML line number), and each record with findings, and only those, is validated
/// again once, however many findings it has. `validator` must be the one the report was made
/// with. `each` is called from the delivering thread, in order. `control`: stop (between
/// batches; what was finished is handed over) and progress, as every long call.
DescribedFindings describe_findings(const RecordFile& file, const FileReport& report, const Validator* validator,
                                    const std::function<void(const Finding&)>& each, const JobControl& control = {});

/// Every finding of `report` as CSV, exactly as `marcscope validate --format csv` prints them as it
/// validates: csv_header() then one format_finding_csv() row per finding, `name` in the file
/// column; handed to `write` in chunks of about 64 KiB. Stopped, it has written what it finished.
DescribedFindings write_findings_csv(const RecordFile& file, const FileReport& report, const Validator* validator,
                                     const std::string& name, const std::function<void(std::string_view)>& write,
                                     const JobControl& control = {});

/// A copy of `report` whose examples are every finding it kept, message included (for a JSON or
/// HTML report that lists them all: json_report(), html_report()). `cancelled`, when given, says
/// whether `control.stop` cut the list short.
FileReport with_every_finding(const RecordFile& file, const FileReport& report, const Validator* validator,
                              const JobControl& control = {}, bool* cancelled = nullptr);

}  // namespace marcscope
