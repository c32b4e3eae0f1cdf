// Fuzz target: the validator on records made from arbitrary bytes. Input that starts with '='
// is read as MARCMaker text, anything else as ISO 2709 (Recover mode, then decoded with the
// default options and with raw bytes kept, so that values need not be UTF-8). Every record is
// validated with the builtin schema, once with the default options and once with local tags
// refused and a rule's severity raised; then the whole input goes through validate_all() as
// `marcscope validate` runs it. Aborts when:
//   - a finding is not a RuleViolation (or the StructureOnly note), has an unknown rule id, names another record number or
//     offset, or has a message or tag that is not UTF-8;
//   - validating the same record twice gives different findings (the validator keeps per-thread
//     scratch state: none of it may leak from one record into the next);
//   - validate_all()'s report counts more clean records than records, or its per-severity counts
//     disagree with its per-finding counts.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "marcscope/charset/utf8.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/io/byte_source.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/model/record.h"
#include "marcscope/read/record_reader.h"
#include "marcscope/validate/validation.h"
#include "marcscope/validate/validator.h"

namespace {

using namespace marcscope;

const Validator& default_validator() {
  static const Validator v;
  return v;
}

const Validator& strict_validator() {
  static const Validator v = [] {
    ValidatorOptions o;
    o.accept_local_tags = false;
    o.severity_overrides = {{"invalid-indicator", Severity::Error}};
    return Validator(o);
  }();
  return v;
}

std::string describe(const Diagnostics& diags) {
  std::string s;
  for (const auto& d : diags) s += d.to_string() + "\n";
  return s;
}

void validate(const Record& rec, std::uint64_t number, std::uint64_t offset) {
  for (const Validator* v : {&default_validator(), &strict_validator()}) {
    Diagnostics first;
    v->validate(rec, number, offset, first);
    const auto& ids = Validator::rule_ids();
    for (const Diagnostic& d : first) {
      // One StructureOnly note says when the schema does not cover the record's format.
      FUZZ_CHECK(d.code == Code::RuleViolation || d.code == Code::StructureOnly,
                 "a validator finding is neither a RuleViolation nor the StructureOnly note");
      if (d.code == Code::RuleViolation)
        FUZZ_CHECK(std::find(ids.begin(), ids.end(), d.rule) != ids.end(), "a validator finding has an unknown rule id");
      FUZZ_CHECK(d.record == number && d.offset == offset, "a validator finding names another record or offset");
      FUZZ_CHECK(is_valid_utf8(d.message), "a validator message is not UTF-8");
      FUZZ_CHECK(is_valid_utf8(d.tag), "a validator finding's tag is not UTF-8");
    }
    Diagnostics second;
    v->validate(rec, number, offset, second);
    FUZZ_CHECK(describe(first) == describe(second), "validating a record twice gives different findings");
  }
}

void validate_whole_input(std::string_view input, Format format) {
  ReadOptions options;
  options.mode = ReadMode::Recover;
  options.format = format;
  options.threads = 1;
  std::unique_ptr<RecordReader> reader;
  try {
    reader = RecordReader::open_bytes(std::string(input), options);
  } catch (const NotMarcError&) {
    return;
  }
  ReportOptions report_options;
  report_options.keep_findings = true;
  FileReport report;
  try {
    report = validate_all(*reader, &default_validator(), report_options);
  } catch (const NotMarcError&) {
    return;
  }
  FUZZ_CHECK(report.clean <= report.records, "the report counts more clean records than records");
  std::uint64_t by_finding = 0, by_severity = 0;
  for (const auto& [key, n] : report.by_finding) by_finding += n;
  for (const auto& [severity, n] : report.by_severity) by_severity += n;
  FUZZ_CHECK(by_finding == by_severity, "the report's counts by finding and by severity disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool mrk = !input.empty() && input[0] == '=';
  if (mrk) {
    ReadOptions options;
    options.mode = ReadMode::Recover;
    auto stream = open_record_stream(Format::Mrk, make_memory_source(std::string(input)), options);
    Record rec;
    Diagnostics diags;
    for (std::uint64_t n = 1; n <= 8 && stream->next(rec, diags); ++n) validate(rec, n, stream->last_offset());
  } else {
    ReadOptions options;
    options.mode = ReadMode::Recover;
    Iso2709Reader reader(InputBuffer::from_bytes(std::string(input)), options);
    ReadItem item;
    std::uint64_t n = 0;
    while (n < 8 && reader.next(item)) {
      if (!item.has_record) continue;
      ++n;
      DecodeOptions raw;
      raw.raw = true;
      for (const DecodeOptions& decode : {DecodeOptions{}, raw}) {
        Diagnostics diags;
        const Record rec = Record::from_view(item.view, decode, diags);
        validate(rec, item.view.number(), item.view.offset());
      }
    }
  }
  validate_whole_input(input, mrk ? Format::Mrk : Format::Iso2709);
  return 0;
}
