#include "marcscope/validate/validation.h"

namespace marcscope {
namespace {

/// Puts the validator's findings for each record after that record's reading diagnostics.
Diagnostics merge_by_record(Diagnostics reading, Diagnostics& rules) {
  if (rules.empty()) return reading;
  Diagnostics merged;
  merged.reserve(reading.size() + rules.size());
  std::size_t r = 0;
  std::uint64_t key = 0;
  for (auto& d : reading) {
    key = d.record ? d.record : key;
    while (r < rules.size() && rules[r].record < key) merged.push_back(std::move(rules[r++]));
    merged.push_back(std::move(d));
  }
  while (r < rules.size()) merged.push_back(std::move(rules[r++]));
  return merged;
}

}  // namespace

void validate_batch(const Validator& validator, Batch& batch) {
  Diagnostics rules;
  for (const auto& rec : batch.records) validator.validate(rec.record, rec.number, rec.offset, rules);
  batch.diagnostics = merge_by_record(std::move(batch.diagnostics), rules);
}

FileReport validate_all(RecordReader& reader, const Validator* validator, const ReportOptions& options,
                        const JobControl& control, const std::function<void(const Finding&)>& each) {
  FileReport report;
  report.file = reader.name();
  BatchTransform check;
  if (validator) check = [validator](Batch& batch) { validate_batch(*validator, batch); };
  reader.run(
      [&](Batch& batch) {
        report.add_batch(batch, options, each);
        return true;
      },
      check, control);
  return report;
}

}  // namespace marcscope
