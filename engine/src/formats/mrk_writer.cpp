#include "marcscope/formats/mrk_writer.h"

#include "format_support.h"
#include "mrk_mnemonics.h"

namespace marcscope {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

/// Appends `value` with MARCMaker escapes, the names taken from the reader's mnemonic table. In
/// control fields and the leader a blank is '\' (so a literal backslash must be escaped there);
/// in subfield data blanks stay blanks. Structure bytes and invalid UTF-8 become U+FFFD, counted
/// in `problems`.
void append_escaped(std::string_view value, std::string& out, bool blanks_as_backslash, detail::EscapeProblems& problems) {
  const auto* u = reinterpret_cast<const unsigned char*>(value.data());
  for (std::size_t i = 0; i < value.size();) {
    const char ch = value[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      if (const std::size_t len = detail::utf8_sequence_length(u + i, value.size() - i)) {
        out.append(value.substr(i, len));
        i += len;
      } else {
        ++problems.invalid;
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    ++i;
    if (ch == ' ') {
      out += blanks_as_backslash ? '\\' : ' ';
      continue;
    }
    if (ch == '\\' && !blanks_as_backslash) {
      out += '\\';
      continue;
    }
    if (const std::string_view name = detail::mnemonic_name_for(ch); !name.empty()) {
      out += '{';
      out += name;
      out += '}';
      continue;
    }
    if (detail::is_structure_byte(c)) {
      problems.structure.add(c);
      out += "\xEF\xBF\xBD";
    } else if (c < 0x20 || c == 0x7F) {
      out += '{';
      out += kHex[c >> 4];
      out += kHex[c & 15];
      out += '}';
    } else {
      out += ch;
    }
  }
}

/// A tag, indicator or subfield code: one byte each, where a structure byte becomes '?'.
void append_plain(std::string_view s, std::string& out, detail::StructureBytes& found) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (detail::is_structure_byte(c)) {
      found.add(c);
      out += '?';
    } else {
      out += ch;
    }
  }
}

inline char indicator(char c) { return c == ' ' ? '\\' : c; }

}  // namespace

void write_mrk(const Record& record, std::string& out, const MrkOptions& options) {
  Diagnostics ignored;
  write_mrk(record, out, options, ignored, 0, 0);
}

void write_mrk(const Record& record, std::string& out, const MrkOptions& options, Diagnostics& diags,
               std::uint64_t number, std::uint64_t offset) {
  const char* eol = options.crlf ? "\r\n" : "\n";
  detail::EscapeProblems p;
  auto report = [&](std::string_view tag, char code) {
    if (p.structure.count || p.invalid) detail::report_escape_problems(p, "MARCMaker text", number, offset, tag, code, diags);
    p = {};
  };
  out += "=LDR  ";
  append_escaped(record.leader(), out, false, p);
  report("LDR", 0);
  out += eol;
  for (const auto& f : record.fields()) {
    out += '=';
    detail::StructureBytes odd;
    append_plain(f.tag(), out, odd);
    out += "  ";
    if (f.is_control()) {
      append_escaped(f.value(), out, true, p);
      report(f.tag(), 0);
    } else {
      const char inds[2] = {indicator(f.indicator1()), indicator(f.indicator2())};
      append_plain(std::string_view(inds, 2), out, odd);
      append_escaped(f.leading_data(), out, true, p);
      report(f.tag(), 0);
      for (const auto& s : f.subfields()) {
        out += '$';
        if (detail::is_structure_byte(static_cast<unsigned char>(s.code)))
          append_plain(std::string_view(&s.code, 1), out, odd);
        else
          append_escaped(std::string_view(&s.code, 1), out, false, p);
        append_escaped(s.value, out, false, p);
        report(f.tag(), s.code);
      }
    }
    if (odd.count)
      diags.push_back({Severity::Warning, Code::StructureByteInData, number, offset, f.tag(), 0,
                       "field " + detail::printable(f.tag()) + " has " + detail::structure_byte_name(odd.first) +
                           " in its tag, indicators or a subfield code; written as '?'"});
    out += eol;
  }
  out += eol;
}

}  // namespace marcscope
