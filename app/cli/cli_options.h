#pragma once
// Command-line parsing for the marcscope tool.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/formats/record_stream.h"
#include "marcscope/validate/validator.h"

namespace marcscope::cli {

enum class Command { Count, Dump, Validate, Convert, Stats, Help, Version };


struct RecordRange {
  std::uint64_t first = 1;
  std::uint64_t last = UINT64_MAX;
  bool contains(std::uint64_t n) const { return n >= first && n <= last; }
};

struct Options {
  Command command = Command::Help;
  std::string help_topic;  ///< command whose help was asked for, empty for the overview
  std::vector<std::string> files;
  ReadOptions read;
  bool quiet = false;
  bool crlf = false;
  std::optional<RecordRange> records;
  std::optional<Format> from;  ///< input format; detected from the content when absent
  std::optional<Format> to;    ///< convert: output format; from OUT's extension when absent
  bool tsv = false;            ///< convert --to tsv
  bool pretty = false;
  std::vector<std::string> columns;  ///< convert --to csv: column specs
  // validate
  std::string schema;                ///< Avram schema file (default: bundled MARC 21 bibliographic)
  bool rules = true;                 ///< false: structure and character sets only
  ValidatorSettings validator;       ///< --profile, --disable, --severity, --accept-codes/-tags, --no-local-tags
  std::string report_format = "text";
  std::size_t examples = 10;
  std::string split_good, split_bad;
  std::string output;  ///< convert: output path ("-" or empty = stdout)
  std::size_t max_shown = 0;  ///< validate: diagnostics shown per code (0 = all)
  unsigned threads = 0;       ///< 0 = every core
};

/// Thrown for bad usage; the message is one line, shown after "marcscope: ".
struct UsageError {
  std::string message;
};

Options parse_options(const std::vector<std::string>& args);
std::string help_text(const std::string& topic);
bool parse_range(const std::string& text, RecordRange& range);

}  // namespace marcscope::cli
