#pragma once
// What validating an input found: counts by finding, severity and tag, the first examples of each
// kind, the worst severity of every record and (for the app) every finding as a compact value;
// written as text, JSON, CSV or a self-contained HTML page. The CLI, the app and the Python
// module all report through this.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/read/batch.h"
#include "marcscope/validate/message_demand.h"

namespace marcscope {

enum class ReportFormat { Text, Json, Csv, Html };

/// One finding, with the 001 of its record where known.
struct Finding {
  Diagnostic diagnostic;
  std::string control_number;
};

/// A finding kept for later in 24 bytes, so that an app can hold millions: everything but the
/// message, which describe_finding() (record_file.h) rebuilds from the record when it is shown.
struct CompactFinding {
  std::uint64_t record_field = 0;  ///< record number (low 40 bits) and field index + 1 (high 24 bits; 0 = none)
  std::uint64_t offset = 0;        ///< absolute byte offset
  std::uint16_t rule = 0;          ///< Validator::rule_ids() index + 1; 0 = not a rule violation
  Code code = Code::NotMarc;
  Severity severity = Severity::Info;
  char subfield = 0;
  /// How many findings of its record came before it with the same code, rule, offset, field and
  /// subfield (several positions of one 008, say): which of them it is.
  std::uint16_t nth = 0;

  std::uint64_t record() const { return record_field & ((1ull << 40) - 1); }
  /// Index of the field in its record, or -1.
  std::int64_t field() const { return static_cast<std::int64_t>(record_field >> 40) - 1; }
  static CompactFinding from(const Diagnostic& d);
  /// Same code, rule, record, field, offset and subfield (nth aside).
  bool same_place(const CompactFinding& o) const {
    return record_field == o.record_field && offset == o.offset && rule == o.rule && code == o.code && subfield == o.subfield;
  }
};
static_assert(sizeof(CompactFinding) == 24);

struct ReportOptions {
  std::size_t max_examples = 10;  ///< examples kept per kind of finding
  bool keep_findings = false;     ///< keep every finding as a CompactFinding (the app's findings list)
  /// When set, add_batch() tells it each rule whose kind holds all its examples, so that the
  /// validators of the same input build no more messages for it (MessageDemand). Only for a
  /// report whose findings are not shown one by one: those that come after carry no message.
  MessageDemand* demand = nullptr;
};

struct FileReport {
  std::string file;
  std::string rules;               ///< which rules were applied (e.g. "MARC 21 Bibliographic"), or empty
  std::uint64_t records = 0;       ///< delivered
  std::uint64_t clean = 0;         ///< delivered with no finding of warning or worse
  std::uint64_t skipped = 0;
  std::uint64_t repaired = 0;
  bool stopped = false;
  /// (code name, rule, severity) -> count
  std::map<std::tuple<std::string, std::string, Severity>, std::uint64_t> by_finding;
  std::map<std::string, std::uint64_t> by_tag;
  std::map<Severity, std::uint64_t> by_severity;
  /// first examples per (code name, rule)
  std::map<std::pair<std::string, std::string>, std::vector<Finding>> examples;
  /// Per record (number - 1): 0 when it has no finding, else its worst Severity + 1.
  std::vector<std::uint8_t> worst_severity;
  /// Per delivered record (number - 1): it has a problem, a finding of warning or worse or a
  /// repair (the records `validate --split-bad` and the app's split write to the bad file).
  std::vector<bool> problem;
  /// Every finding, in input order, when ReportOptions::keep_findings.
  std::vector<CompactFinding> findings;

  /// Counts one finding, and keeps it as an example while its kind has fewer than `max_examples`.
  void add(const Finding& finding, std::size_t max_examples);
  /// Everything in one delivered batch: its records, skipped records and diagnostics (moved out).
  /// `each`, when set, sees every finding in input order. `bad`, when given, receives for each of
  /// the batch's records whether it has a problem (a finding of warning or worse, or a repair).
  void add_batch(Batch& batch, const ReportOptions& options, const std::function<void(const Finding&)>& each = {},
                 std::vector<char>* bad = nullptr);
  /// The worst severity of record `number`, or nullopt when it has no finding.
  std::optional<Severity> worst(std::uint64_t number) const;
  /// Whether delivered record `number` has a problem (see `problem`).
  bool has_problem(std::uint64_t number) const { return number >= 1 && number <= problem.size() && problem[number - 1]; }

 private:
  /// Where add() counts: pointers to the entries of the maps above (map nodes never move), so that a finding of a
  /// kind seen before costs no map lookup and no key string. A copy or a move starts it afresh.
  class Slots {
   public:
    Slots() = default;
    Slots(const Slots&) {}
    Slots(Slots&& other) noexcept { other.clear(); }
    Slots& operator=(const Slots&) { clear(); return *this; }
    Slots& operator=(Slots&& other) noexcept { clear(); other.clear(); return *this; }

    struct Kind {
      Code code;
      Severity severity;
      std::string rule;
      std::uint64_t* count;             ///< in by_finding
      std::vector<Finding>* examples;   ///< in examples
      bool demand_told = false;         ///< ReportOptions::demand knows it holds all its examples
    };
    std::vector<Kind> kinds;
    std::vector<std::uint32_t> table;   ///< open addressing over kinds: index + 1, 0 = empty
    std::unique_ptr<std::array<std::uint64_t*, 1000>> numeric_tags;  ///< by_tag entries of three-digit tags
    std::vector<std::pair<std::string, std::uint64_t*>> other_tags;  ///< by_tag entries of other tags
    std::array<std::uint64_t*, 4> severities{};  ///< by_severity entries

    void clear() {
      kinds.clear();
      table.clear();
      numeric_tags.reset();
      other_tags.clear();
      severities.fill(nullptr);
    }
  };
  Slots slots_;
  /// Counts a finding (by kind, severity and tag) and returns its kind.
  Slots::Kind& count(const Diagnostic& d);
  /// Tells `demand` when `kind` holds all its examples.
  static void tell(Slots::Kind& kind, const Diagnostic& d, std::size_t max_examples, MessageDemand* demand);
};

/// One line per finding, as `validate` prints them in text mode.
std::string format_finding_text(const std::string& file, const Finding& finding);
/// CSV header and rows (one row per finding).
std::string csv_header();
std::string format_finding_csv(const std::string& file, const Finding& finding);

std::string text_summary(const FileReport& report);
std::string json_report(const std::vector<FileReport>& reports);
std::string html_report(const std::vector<FileReport>& reports);

}  // namespace marcscope
