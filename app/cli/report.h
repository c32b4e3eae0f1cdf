#pragma once
// The corpus report of `marcscope validate`: what was found in each file, as text, JSON, CSV or a
// self-contained HTML page.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "marcscope/core/diagnostic.h"

namespace marcscope::cli {

enum class ReportFormat { Text, Json, Csv, Html };

/// One finding, with the 001 of its record where known.
struct Finding {
  Diagnostic diagnostic;
  std::string control_number;
};

struct FileReport {
  std::string file;
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

  void add(const Finding& finding, std::size_t max_examples);

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
};

/// One line per finding, as `validate` prints them in text mode.
std::string format_finding_text(const std::string& file, const Finding& finding);
/// CSV header and rows (one row per finding).
std::string csv_header();
std::string format_finding_csv(const std::string& file, const Finding& finding);

std::string text_summary(const FileReport& report);
std::string json_report(const std::vector<FileReport>& reports);
std::string html_report(const std::vector<FileReport>& reports);

}  // namespace marcscope::cli
