#include "marcscope/validate/validation.h"

#include "marcscope/io/mapped_file.h"
#include "marcscope/iso2709/record_scanner.h"

namespace marcscope {
namespace {

/// Puts the validator's findings for each record after that record's reading diagnostics.
Diagnostics merge_by_record(Diagnostics reading, Diagnostics& rules) {
  if (rules.empty()) return reading;
  if (reading.empty()) return std::move(rules);
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

void validate_batch(const Validator& validator, Batch& batch, const MessageDemand* demand) {
  Diagnostics rules;
  rules.reserve(batch.records.size() * 8);  // most records have a few findings: seldom a move as it grows
  RecordView scratch;
  for (const auto& rec : batch.records) {
    if (!rec.as_is) {
      validator.validate(rec.record, rec.number, rec.offset, rules, demand);
    } else if (!rec.bytes.empty()) {
      // Delivered as it is (ReadOptions::skip_as_is): the view is what its model would hold.
      validator.validate(rec.view_of(scratch, ReadMode::Permissive), rec.number, rec.offset, rules, demand);
    } else {
      // A MARCXML record's ISO 2709 form (ReadOptions::iso2709_forms), whose leader is the one
      // written, not the one read: the record its form reads as.
      Diagnostics none;
      validator.validate(Record::from_view(rec.view, {}, none), rec.number, rec.offset, rules, demand);
    }
  }
  batch.diagnostics = merge_by_record(std::move(batch.diagnostics), rules);
}

void read_for_validation(ReadOptions& options) {
  options.decode_records = true;
  options.skip_as_is = true;
  options.iso2709_forms = false;
}

FileReport validate_all(RecordReader& reader, const Validator* validator, const ReportOptions& options,
                        const JobControl& control, const std::function<void(const Finding&)>& each) {
  FileReport report;
  report.file = reader.name();
  // With no one to see every finding, only the examples the report keeps need their messages.
  MessageDemand demand;
  ReportOptions counting = options;
  if (!each && !counting.demand) counting.demand = &demand;
  const MessageDemand* wanted = counting.demand;
  BatchTransform check;
  if (validator) check = [validator, wanted](Batch& batch) { validate_batch(*validator, batch, wanted); };
  reader.run(
      [&](Batch& batch) {
        report.add_batch(batch, counting, each);
        return true;
      },
      check, control);
  return report;
}

std::vector<std::uint64_t> records_with(const FileReport& report, Code code, std::string_view rule) {
  const std::uint16_t wanted_rule = rule.empty() ? 0 : CompactFinding::from(Diagnostic{Severity::Info, code, 0, 0, {}, 0, {}, std::string(rule)}).rule;
  std::vector<std::uint64_t> out;
  for (const CompactFinding& f : report.findings) {
    if (f.code != code || (!rule.empty() && f.rule != wanted_rule)) continue;
    if (out.empty() || out.back() != f.record()) out.push_back(f.record());
  }
  return out;
}

Diagnostic describe_finding(const RecordFile& file, const CompactFinding& finding, const Validator* validator) {
  const std::uint64_t number = finding.record();
  const bool indexed = number >= 1 && number <= file.index().size();
  Diagnostics all;
  if ((indexed || number == 0) && (file.format() == Format::Iso2709 || file.format() == Format::Iso2709Marc8) &&
      finding.offset < file.size()) {
    // Stage 1 again, from the record's start (or, for bytes outside any record, from them): what
    // it said about the boundaries.
    file.mapping().check();
    std::uint64_t before = indexed ? number - 1 : 0;
    if (!indexed) {
      // Bytes outside any record: the records before them (their message names the last one).
      std::uint64_t lo = 0, hi = file.index().size();
      while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (file.index().at(mid + 1).offset < finding.offset) lo = mid + 1;
        else hi = mid;
      }
      before = lo;
    }
    RecordScanner scanner(file.options().mode, before);
    std::size_t pos = static_cast<std::size_t>(indexed ? file.index().at(number).offset : finding.offset);
    RecordSpan span;
    scanner.next(file.mapping().bytes(), pos, 0, true, span, all);
    for (auto& d : all) d.record = d.record ? number : 0;
  }
  if (indexed) {
    FetchedRecord fetched = file.fetch(number);
    for (auto& d : fetched.diagnostics) all.push_back(std::move(d));
    if (validator && !fetched.skipped) validator->validate(fetched.record.record, number, fetched.record.offset, all);
  }
  std::uint16_t nth = 0;
  for (auto& d : all) {
    if (!CompactFinding::from(d).same_place(finding)) continue;
    if (nth++ == finding.nth) return std::move(d);
  }
  Diagnostic d;
  d.severity = finding.severity;
  d.code = finding.code;
  d.record = number;
  d.offset = finding.offset;
  d.subfield = finding.subfield;
  d.field = static_cast<std::int32_t>(finding.field());
  d.message = std::string(code_name(finding.code)) + " at byte " + std::to_string(finding.offset) +
              " (found while reading the whole file; reading this record on its own does not show it again)";
  return d;
}

DescribedFindings describe_findings(const RecordFile& file, const FileReport& report, const Validator* validator,
                                    const std::function<void(const Finding&)>& each, const JobControl& control) {
  // The file read again on the pipeline exactly as the validation that made the report read it
  // (the whole mapping, stage 1 included), so that every reading diagnostic comes back as it
  // was, with its whole-file context (a record skipped and why, an XML line number); only the
  // records the report says have findings are validated again.
  ReadOptions options = file.options();
  options.format = file.format();
  auto reader = RecordReader::open(file.mapping().source(AccessHint::Sequential), options);
  BatchTransform check = [&](Batch& batch) {
    if (!validator) return;
    Diagnostics rules;
    for (const auto& rec : batch.records)
      if (report.worst(rec.number)) validator->validate(rec.record, rec.number, rec.offset, rules);
    batch.diagnostics = merge_by_record(std::move(batch.diagnostics), rules);
  };
  DescribedFindings result;
  FileReport counted;  // its add_batch makes each Finding (the 001 of its record) as validate_all does
  ReportOptions none;
  none.max_examples = 0;
  reader->run(
      [&](Batch& batch) {
        counted.add_batch(batch, none, [&](const Finding& f) {
          each(f);
          ++result.count;
        });
        return true;
      },
      check, control);
  result.cancelled = control.stop.stop_requested();
  return result;
}

DescribedFindings write_findings_csv(const RecordFile& file, const FileReport& report, const Validator* validator,
                                     const std::string& name, const std::function<void(std::string_view)>& write,
                                     const JobControl& control) {
  std::string chunk = csv_header();
  const DescribedFindings result = describe_findings(
      file, report, validator,
      [&](const Finding& f) {
        chunk += format_finding_csv(name, f);
        if (chunk.size() >= (1u << 16)) {
          write(chunk);
          chunk.clear();
        }
      },
      control);
  if (!chunk.empty()) write(chunk);
  return result;
}

FileReport with_every_finding(const RecordFile& file, const FileReport& report, const Validator* validator,
                              const JobControl& control, bool* cancelled) {
  FileReport full = report;
  full.examples.clear();
  const DescribedFindings result = describe_findings(
      file, report, validator,
      [&](const Finding& f) { full.examples[{std::string(code_name(f.diagnostic.code)), f.diagnostic.rule}].push_back(f); },
      control);
  if (cancelled) *cancelled = result.cancelled;
  return full;
}

}  // namespace marcscope
