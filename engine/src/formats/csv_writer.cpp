// CSV / TSV writer: a header row, then one row per record: an "id" column (001, else the record
// number) and the columns the user chose. RFC 4180 quoting (a cell holding the separator, a quote,
// CR or LF is quoted, quotes doubled), for TSV too.
//
// Columns:
//   "001", "008"       a control field's value
//   "245"              a data field, its subfield values joined with blanks
//   "245$a", "650$a"   subfield values
//   "245$ab"           per field, the values of $a and $b joined with blanks
//   "LDR", "LDR/06", "LDR/06-07", "008/07-10"   the leader, or character positions (0-based,
//                      inclusive) of the leader or a control field
// Repeated fields (and repeated subfields) give several values, joined with WriterOptions::csv_join.
#include <stdexcept>
#include <vector>

#include "format_support.h"

namespace marcscope::detail {
namespace {

struct Column {
  std::string header;
  std::string tag;          ///< "LDR" or a field tag
  std::string codes;        ///< subfield codes; empty = whole field
  bool positions = false;
  std::size_t from = 0, to = 0;  ///< inclusive character positions
};

std::size_t parse_position(std::string_view s, const std::string& spec) {
  if (s.empty() || s.size() > 6) throw std::invalid_argument("CSV column \"" + spec + "\": bad character position");
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') throw std::invalid_argument("CSV column \"" + spec + "\": bad character position");
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

Column parse_column(const std::string& spec) {
  Column col;
  col.header = spec;
  std::string_view s = spec;
  if (s.size() < 3) throw std::invalid_argument("CSV column \"" + spec + "\": expected a tag such as 245, 245$a or LDR/06");
  col.tag = std::string(s.substr(0, 3));
  s.remove_prefix(3);
  if (s.empty()) return col;
  if (s[0] == '$') {
    if (col.tag == "LDR") throw std::invalid_argument("CSV column \"" + spec + "\": the leader has no subfields");
    col.codes = std::string(s.substr(1));
    if (col.codes.empty()) throw std::invalid_argument("CSV column \"" + spec + "\": no subfield code after '$'");
    return col;
  }
  if (s[0] == '/') {
    s.remove_prefix(1);
    col.positions = true;
    const std::size_t dash = s.find('-');
    col.from = parse_position(s.substr(0, dash), spec);
    col.to = dash == std::string_view::npos ? col.from : parse_position(s.substr(dash + 1), spec);
    if (col.to < col.from) throw std::invalid_argument("CSV column \"" + spec + "\": the range ends before it starts");
    return col;
  }
  throw std::invalid_argument("CSV column \"" + spec + "\": expected $codes or /positions after the tag");
}

/// Characters from..to (inclusive) of a UTF-8 string.
std::string_view char_range(std::string_view s, std::size_t from, std::size_t to) {
  std::size_t ch = 0, i = 0, start = s.size(), end = s.size();
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (ch == from) start = i;
    if (ch == to + 1) {
      end = i;
      break;
    }
    ++ch;
  }
  if (start >= s.size()) return {};
  return s.substr(start, end - start);
}

class CsvWriter final : public RecordWriter {
 public:
  explicit CsvWriter(const WriterOptions& options)
      : sep_(options.csv_separator), join_(options.csv_join), eol_(options.crlf ? "\r\n" : "\n") {
    std::vector<std::string> specs = options.columns;
    if (specs.empty()) specs = {"LDR/06-07", "245$a"};
    for (const auto& s : specs) columns_.push_back(parse_column(s));
  }

  void begin(std::string& out) const override {
    EscapeProblems unused;
    cell("id", out, unused);
    for (const auto& c : columns_) {
      out += sep_;
      cell(c.header, out, unused);
    }
    out += eol_;
  }

  void write(const Record& record, std::uint64_t number, std::uint64_t offset, std::string& out,
             Diagnostics& diags) const override {
    const Field* id = record.first("001");
    EscapeProblems p;
    cell(id && id->is_control() ? id->value() : std::to_string(number), out, p);
    if (p.structure.count || p.invalid) report_escape_problems(p, "CSV", number, offset, "001", 0, diags);
    std::string value, item;
    for (const auto& c : columns_) {
      out += sep_;
      value.clear();
      bool any = false;
      auto add = [&](std::string_view v) {
        if (any) value += join_;
        value += v;
        any = true;
      };
      if (c.tag == "LDR") {
        add(c.positions ? char_range(record.leader(), c.from, c.to) : std::string_view(record.leader()));
      } else {
        for (const auto& f : record.fields()) {
          if (f.tag() != c.tag) continue;
          if (f.is_control()) {
            if (!c.codes.empty()) continue;
            add(c.positions ? char_range(f.value(), c.from, c.to) : std::string_view(f.value()));
            continue;
          }
          if (c.positions) continue;
          if (c.codes.size() == 1) {
            for (const auto& s : f.subfields())
              if (s.code == c.codes[0]) add(s.value);
            continue;
          }
          item.clear();
          bool found = false;
          for (const auto& s : f.subfields()) {
            if (!c.codes.empty() && c.codes.find(s.code) == std::string::npos) continue;
            if (found) item += ' ';
            item += s.value;
            found = true;
          }
          if (found) add(item);
        }
      }
      p = {};
      cell(value, out, p);
      if (p.structure.count || p.invalid)
        report_escape_problems(p, "CSV", number, offset, c.tag == "LDR" ? "LDR" : c.tag, c.codes.size() == 1 ? c.codes[0] : 0, diags);
    }
    out += eol_;
  }

 private:
  /// A cell: quoted when it holds the separator, a quote or a line break; UTF-8 with no structure
  /// byte (records built by hand may hold either; both become U+FFFD, counted in `p`).
  void cell(std::string_view v, std::string& out, EscapeProblems& p) const {
    bool quote = false;
    for (char ch : v) {
      if (ch == sep_ || ch == '"' || ch == '\n' || ch == '\r') {
        quote = true;
        break;
      }
    }
    if (!quote) {
      append_clean_text(v, out, p);
      return;
    }
    out += '"';
    std::string doubled;
    for (char ch : v) {
      if (ch == '"') doubled += '"';
      doubled += ch;
    }
    append_clean_text(doubled, out, p);
    out += '"';
  }

  char sep_;
  std::string join_;
  std::string eol_;
  std::vector<Column> columns_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_csv_writer(const WriterOptions& options) {
  return std::make_unique<CsvWriter>(options);
}

}  // namespace marcscope::detail
