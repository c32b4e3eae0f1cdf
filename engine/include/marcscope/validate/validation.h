#pragma once
// Validating what a reader delivers: the per-batch step every front end runs in the pipeline's
// parallel stage, and a whole input in one call.

#include <memory>

#include "marcscope/core/control.h"
#include "marcscope/read/batch.h"
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

}  // namespace marcscope
