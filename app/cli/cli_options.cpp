#include "cli_options.h"

#include <charconv>

namespace marcscope::cli {
namespace {

/// Appends the non-empty items of a comma-separated list ("a,,b" gives a and b).
void append_list(const std::string& v, std::vector<std::string>& out) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = v.find(',', start);
    std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

const char* kOverview = R"(marcscope - read, check and convert MARC 21 records

Usage: marcscope COMMAND [OPTIONS] FILE...

Commands:
  count      count the records in each file
  dump       print records as MARCMaker text (.mrk)
  validate   report structural problems, with a summary per code
  stats      count fields, subfields, indicators, record types, languages and dates
  convert    convert between ISO 2709 (UTF-8 or MARC-8), MARCXML, MARC-in-JSON,
             MARCMaker text and CSV/TSV

Every command reads ISO 2709, MARCXML, MARC-in-JSON (array or NDJSON) and MARCMaker
text, gzip-compressed or not, detected from the content.

FILE may be '-' for standard input. Run 'marcscope COMMAND --help' for a command's options.

Exit status: 0 fine, 1 problems found, 2 could not run, 130 stopped by Ctrl-C (143: SIGTERM;
output files are then left as they were).
)";

const char* kReading = R"(
Reading options:
  --from FORMAT      iso2709, iso2709-marc8 (force MARC-8), marcxml, json, ndjson or
                     mrk; default: detected from the content
  --mode MODE        strict: stop at the first structural error;
                     permissive (default): skip bad records, go on with the next;
                     recover: repair what can be repaired and mark it
  --encoding ENC     auto (default): per record, from its bytes where leader/09 lies
                     (UTF-8 under a MARC-8 leader/09 and the reverse), with a warning
                     each time; leader: leader/09 decides; utf8 or marc8: forced
  --marc8-loc-ligatures  decode MARC-8 ligature halves to U+0361/U+0360 (LoC)
                     instead of U+FE20-U+FE23 (pymarc)
  -j, --threads N    worker threads (default: every core)
  -q, --quiet        no diagnostics and no progress line on standard error
  -h, --help         show this help
)";

std::string command_help(const std::string& topic) {
  if (topic == "count")
    return std::string("Usage: marcscope count [OPTIONS] FILE...\n\nPrints the number of records in each file "
                       "(and a total for several files).\nRecords skipped as unreadable are not counted; "
                       "diagnostics say which.\n") + kReading;
  if (topic == "dump")
    return std::string("Usage: marcscope dump [OPTIONS] FILE...\n\nPrints records as MARCMaker text (.mrk), "
                       "converted to UTF-8.\n\n  --records RANGE    only these records (1-based): 7, 10-20, 10-, -20\n"
                       "  --crlf             end lines with CR LF, as MarcEdit does\n") + kReading;
  if (topic == "validate")
    return std::string(
               "Usage: marcscope validate [OPTIONS] FILE...\n\n"
               "Checks structure, character sets and the MARC 21 rules (tags, repeatability,\n"
               "indicators, subfield codes, leader and 006/007/008 code lists, ISBN/ISSN check digits,\n"
               "language and geographic codes, 245 punctuation ...). Every finding names its record\n"
               "number, byte offset, 001, tag and subfield; a summary counts findings per code.\n"
               "Authority, holdings, classification and community information records get the\n"
               "rules every MARC 21 record must meet, and an info line saying so.\n"
               "Exits 1 when anything was found.\n\n"
               "  --format FORMAT    text (default), json, csv, or html (a self-contained page)\n"
               "  --schema FILE      an Avram schema instead of the bundled MARC 21 bibliographic one\n"
               "  --no-rules         structure and character sets only\n"
               "  --disable RULE     do not report RULE (repeatable; comma lists allowed)\n"
               "  --severity RULE=LEVEL  report RULE as info, warning, error or fatal\n"
               "  --no-local-tags    report local tags (09X, 59X, 69X, 9XX) the schema lacks\n"
               "  --profile NAME     a set of rule settings: marc21 (default), oclc (leader/17 I, J, K,\n"
               "                     M and fields 019, 029, 049 accepted) or lenient (undefined tags and\n"
               "                     subfields are notes, 245 punctuation not checked); options below\n"
               "                     and above change it further\n"
               "  --accept-codes POS=CODES  accept these codes at a leader/006/007/008 position too,\n"
               "                     e.g. LDR/17=I,K,M or 008/23=o (repeatable)\n"
               "  --accept-tags TAGS accept these tags as local (comma list, e.g. 049,938)\n"
               "  --max-per-code N   show at most N findings per code (counts stay complete)\n"
               "  --examples N       examples per finding in json/html reports (default 10)\n"
               "  --split-good FILE  write records with no finding here (ISO 2709) ...\n"
               "  --split-bad FILE   ... and every other record here: each record goes to exactly one\n") +
           kReading;
  if (topic == "stats")
    return std::string(
               "Usage: marcscope stats [OPTIONS] FILE...\n\n"
               "Counts what the records hold, as MarcEdit's field count does: for every field and\n"
               "subfield, the records that have it and how often it occurs; indicator values; leader\n"
               "values; record types (leader/06-07); languages, places and first dates from 008;\n"
               "encodings, repaired and skipped records.\n\n"
               "  --format FORMAT    text (default), json, or csv (one row per field and subfield)\n") +
           kReading;
  if (topic == "convert")
    return std::string(
               "Usage: marcscope convert IN OUT [OPTIONS]\n"
               "       marcscope convert IN... -o OUT [OPTIONS]\n\n"
               "Converts records between formats, streaming ('-' is standard input or output).\n\n"
               "  --to FORMAT        iso2709 (UTF-8, leader/09 'a'), iso2709-marc8, marcxml, json,\n"
               "                     ndjson, mrk, csv or tsv; default from OUT's extension, else iso2709\n"
               "  -o, --output OUT   output file, when several inputs are given\n"
               "  --columns LIST     csv/tsv columns, e.g. 001,245$a,650$a,LDR/06,008/07-10\n"
               "                     (default: id, LDR/06-07, 245$a); repeats are joined with '|'\n"
               "  --pretty           indent MARCXML and JSON\n"
               "  --records RANGE    only these records (1-based)\n"
               "  --crlf             with mrk, end lines with CR LF\n") +
           kReading;
  return kOverview;
}

bool parse_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string help_text(const std::string& topic) { return command_help(topic); }

bool parse_range(const std::string& text, RecordRange& range) {
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    std::uint64_t n;
    if (!parse_u64(text, n) || n == 0) return false;
    range = {n, n};
    return true;
  }
  std::string a = text.substr(0, dash), b = text.substr(dash + 1);
  if (a.empty() && b.empty()) return false;
  RecordRange r;
  if (!a.empty() && (!parse_u64(a, r.first) || r.first == 0)) return false;
  if (!b.empty() && !parse_u64(b, r.last)) return false;
  if (r.last < r.first) return false;
  range = r;
  return true;
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  // The bytes decide where leader/09 lies (UNIMARC and careless exports); the engine's own
  // default stays leader/09, which is what the standard and pymarc do.
  o.read.decode.encoding = EncodingChoice::Auto;
  if (args.empty()) throw UsageError{"no command given; try 'marcscope --help'"};
  const std::string& cmd = args[0];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    o.command = Command::Help;
    if (args.size() > 1) o.help_topic = args[1];
    return o;
  }
  if (cmd == "--version" || cmd == "version") {
    o.command = Command::Version;
    return o;
  }
  if (cmd == "count") o.command = Command::Count;
  else if (cmd == "dump") o.command = Command::Dump;
  else if (cmd == "validate") o.command = Command::Validate;
  else if (cmd == "convert") o.command = Command::Convert;
  else if (cmd == "stats") o.command = Command::Stats;
  else throw UsageError{"unknown command '" + cmd + "'; try 'marcscope --help'"};

  auto value = [&](std::size_t& i, const std::string& name) -> const std::string& {
    if (i + 1 >= args.size()) throw UsageError{name + " needs a value"};
    return args[++i];
  };
  bool only_files = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_files || a == "-" || a.empty() || a[0] != '-') {
      o.files.push_back(a);
      continue;
    }
    if (a == "--") only_files = true;
    else if (a == "-h" || a == "--help") {
      o.help_topic = cmd;
      o.command = Command::Help;
      return o;
    } else if (a == "-q" || a == "--quiet") o.quiet = true;
    else if (a == "--crlf") o.crlf = true;
    else if (a == "--mode") {
      const auto& v = value(i, a);
      if (!parse_read_mode(v, o.read.mode)) throw UsageError{"--mode must be strict, permissive or recover, not '" + v + "'"};
    } else if (a == "--encoding") {
      const auto& v = value(i, a);
      if (v == "leader") o.read.decode.encoding = EncodingChoice::FromLeader;
      else if (v == "utf8" || v == "utf-8") o.read.decode.encoding = EncodingChoice::ForceUtf8;
      else if (v == "marc8" || v == "marc-8") o.read.decode.encoding = EncodingChoice::ForceMarc8;
      else if (v == "auto") o.read.decode.encoding = EncodingChoice::Auto;
      else throw UsageError{"--encoding must be leader, utf8, marc8 or auto, not '" + v + "'"};
    } else if (a == "--marc8-loc-ligatures") o.read.decode.marc8.ligature_halves_fe2x = false;
    else if (a == "--records") {
      const auto& v = value(i, a);
      RecordRange r;
      if (!parse_range(v, r)) throw UsageError{"--records takes N, N-M, N- or -M (1-based), not '" + v + "'"};
      o.records = r;
    } else if (a == "--max-per-code") {
      const auto& v = value(i, a);
      std::uint64_t n;
      if (!parse_u64(v, n)) throw UsageError{"--max-per-code needs a number, not '" + v + "'"};
      o.max_shown = static_cast<std::size_t>(n);
    } else if (a == "-j" || a == "--threads") {
      const auto& v = value(i, a);
      std::uint64_t n;
      if (!parse_u64(v, n) || n == 0 || n > 1024) throw UsageError{"--threads needs a number from 1 to 1024, not '" + v + "'"};
      o.threads = static_cast<unsigned>(n);
    } else if (a == "-o" || a == "--output") o.output = value(i, a);
    else if (a == "--to" || a == "--from") {
      const auto& v = value(i, a);
      Format f;
      if (!parse_format_name(v, f))
        throw UsageError{a + " must be iso2709, iso2709-marc8, marcxml, json, ndjson, mrk" +
                         (a == "--to" ? std::string(", csv or tsv") : std::string()) + ", not '" + v + "'"};
      if (a == "--from") {
        if (f == Format::Csv) throw UsageError{"csv and tsv can be written, not read"};
        o.from = f;
      } else {
        o.to = f;
        o.tsv = v == "tsv";
      }
    } else if (a == "--columns") {
      append_list(value(i, a), o.columns);
    } else if (a == "--pretty") {
      o.pretty = true;
    } else if (a == "--schema") {
      o.schema = value(i, a);
    } else if (a == "--no-rules") {
      o.rules = false;
    } else if (a == "--no-local-tags") {
      o.validator.reject_local_tags = true;
    } else if (a == "--disable") {
      append_list(value(i, a), o.validator.disabled_rules);
    } else if (a == "--profile") {
      o.validator.profile = value(i, a);
    } else if (a == "--accept-codes") {
      o.validator.accepted_codes.push_back(value(i, a));
    } else if (a == "--accept-tags") {
      append_list(value(i, a), o.validator.accepted_tags);
    } else if (a == "--severity") {
      const auto& v = value(i, a);
      const auto eq = v.find('=');
      if (eq == std::string::npos) throw UsageError{"--severity takes RULE=LEVEL, not '" + v + "'"};
      o.validator.severities.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--format") {
      const auto& v = value(i, a);
      if (v != "text" && v != "json" && v != "csv" && v != "html")
        throw UsageError{"--format must be text, json, csv or html, not '" + v + "'"};
      o.report_format = v;
    } else if (a == "--examples") {
      const auto& v = value(i, a);
      std::uint64_t n;
      if (!parse_u64(v, n)) throw UsageError{"--examples needs a number, not '" + v + "'"};
      o.examples = static_cast<std::size_t>(n);
    } else if (a == "--split-good") {
      o.split_good = value(i, a);
    } else if (a == "--split-bad") {
      o.split_bad = value(i, a);
    } else {
      throw UsageError{"unknown option '" + a + "' for '" + cmd + "'; try 'marcscope " + cmd + " --help'"};
    }
  }
  if (o.files.empty()) throw UsageError{"'" + cmd + "' needs at least one FILE (or '-' for standard input)"};
  if (o.command == Command::Stats && o.report_format == "html")
    throw UsageError{"stats --format must be text, json or csv"};
  if (o.split_good.empty() != o.split_bad.empty())
    throw UsageError{"--split-good and --split-bad go together: every record goes to one of them"};
  if (o.command == Command::Convert && o.output.empty()) {
    if (o.files.size() == 2) {
      o.output = o.files.back();
      o.files.pop_back();
    } else if (o.files.size() > 2) {
      throw UsageError{"'convert' takes IN OUT, or several inputs with -o OUT"};
    }
  }
  return o;
}

}  // namespace marcscope::cli
