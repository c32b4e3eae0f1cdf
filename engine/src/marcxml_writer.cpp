// MARCXML writer (MARC21 slim). Output is always well-formed XML 1.0: markup characters are
// escaped, and characters XML 1.0 cannot hold at all (C0 controls other than tab, line feed and
// carriage return; U+FFFE, U+FFFF) or invalid UTF-8 become U+FFFD with a warning.
#include <string>

#include "format_support.h"

namespace marcscope::detail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// Appends `s` escaped for XML text (attr = false) or a double-quoted attribute value.
void append_xml(std::string_view s, std::string& out, bool attr, EscapeProblems& problems) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t run = 0;  // start of the bytes copied as they are
  std::size_t i = 0;
  auto flush = [&] {
    if (i > run) out.append(s.data() + run, i - run);
  };
  while (i < n) {
    const unsigned c = p[i];
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(p + i, n - i);
      if (len == 3 && c == 0xEF && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF)) {
        flush();
        out += kReplacement;
        if (problems.control++ == 0) problems.first_control = static_cast<unsigned char>(p[i + 2]);
        i += 3;
        run = i;
      } else if (len == 0) {
        flush();
        out += kReplacement;
        ++problems.invalid;
        ++i;
        run = i;
      } else {
        i += len;
      }
      continue;
    }
    const char* esc = nullptr;
    switch (c) {
      case '&': esc = "&amp;"; break;
      case '<': esc = "&lt;"; break;
      case '>': esc = "&gt;"; break;
      case '"': esc = attr ? "&quot;" : nullptr; break;
      case '\r': esc = "&#13;"; break;
      case '\n': esc = attr ? "&#10;" : nullptr; break;
      case '\t': esc = attr ? "&#9;" : nullptr; break;
      default:
        if (c < 0x20) {
          flush();
          out += kReplacement;
          if (problems.control++ == 0) problems.first_control = static_cast<unsigned char>(c);
          ++i;
          run = i;
          continue;
        }
    }
    if (esc) {
      flush();
      out += esc;
      ++i;
      run = i;
      continue;
    }
    ++i;
  }
  flush();
}

class MarcXmlWriter final : public RecordWriter {
 public:
  explicit MarcXmlWriter(const WriterOptions& options) : pretty_(options.pretty) {}

  void begin(std::string& out) const override {
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
  }
  void end(std::string& out) const override { out += "</collection>\n"; }

  void write(const Record& record, std::uint64_t number, std::string& out, Diagnostics& diags) const override {
    const char* nl = pretty_ ? "\n" : "";
    out += pretty_ ? "  <record>\n    <leader>" : "<record><leader>";
    value(record.leader(), out, "LDR", 0, number, diags);
    out += "</leader>";
    out += nl;
    for (const auto& f : record.fields()) {
      if (f.is_control()) {
        out += pretty_ ? "    <controlfield tag=\"" : "<controlfield tag=\"";
        attribute(f.tag(), out, f.tag(), 0, number, diags);
        out += "\">";
        value(f.value(), out, f.tag(), 0, number, diags);
        out += "</controlfield>";
        out += nl;
        continue;
      }
      out += pretty_ ? "    <datafield tag=\"" : "<datafield tag=\"";
      attribute(f.tag(), out, f.tag(), 0, number, diags);
      out += "\" ind1=\"";
      const char i1 = f.indicator1();
      attribute(std::string_view(&i1, 1), out, f.tag(), 0, number, diags);
      out += "\" ind2=\"";
      const char i2 = f.indicator2();
      attribute(std::string_view(&i2, 1), out, f.tag(), 0, number, diags);
      out += "\">";
      out += nl;
      if (!f.leading_data().empty())
        diags.push_back({Severity::Warning, Code::SubfieldDelimiterMissing, number, 0, f.tag(), 0,
                         "field " + f.tag() + ": the text before its first subfield (\"" + printable(f.leading_data()) +
                             "\") cannot be written in MARCXML; left out"});
      for (const auto& s : f.subfields()) {
        out += pretty_ ? "      <subfield code=\"" : "<subfield code=\"";
        attribute(std::string_view(&s.code, 1), out, f.tag(), s.code, number, diags);
        out += "\">";
        value(s.value, out, f.tag(), s.code, number, diags);
        out += "</subfield>";
        out += nl;
      }
      out += pretty_ ? "    </datafield>\n" : "</datafield>";
    }
    out += pretty_ ? "  </record>\n" : "</record>\n";
  }

 private:
  static void value(std::string_view v, std::string& out, std::string_view tag, char code, std::uint64_t number,
                    Diagnostics& diags) {
    EscapeProblems p;
    append_xml(v, out, false, p);
    if (p.control || p.invalid) report_escape_problems(p, "XML", number, tag, code, diags);
  }
  static void attribute(std::string_view v, std::string& out, std::string_view tag, char code, std::uint64_t number,
                        Diagnostics& diags) {
    EscapeProblems p;
    append_xml(v, out, true, p);
    if (p.control || p.invalid) report_escape_problems(p, "XML", number, tag, code, diags);
  }

  bool pretty_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_marcxml_writer(const WriterOptions& options) {
  return std::make_unique<MarcXmlWriter>(options);
}

}  // namespace marcscope::detail
