#include "marcscope/formats/mrk_writer.h"

namespace marcscope {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

/// Appends `value` with MARCMaker escapes. In control fields and the leader a blank is '\'
/// (so a literal backslash must be escaped there); in subfield data blanks stay blanks.
void append_escaped(std::string_view value, std::string& out, bool blanks_as_backslash) {
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '$': out += "{dollar}"; break;
      case '{': out += "{lcub}"; break;
      case '}': out += "{rcub}"; break;
      case ' ': out += blanks_as_backslash ? '\\' : ' '; break;
      case '\\': if (blanks_as_backslash) out += "{bsol}"; else out += '\\'; break;
      case '\x1B': out += "{esc}"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += '{';
          out += kHex[c >> 4];
          out += kHex[c & 15];
          out += '}';
        } else {
          out += ch;
        }
    }
  }
}

inline char indicator(char c) { return c == ' ' ? '\\' : c; }

}  // namespace

void write_mrk(const Record& record, std::string& out, const MrkOptions& options) {
  const char* eol = options.crlf ? "\r\n" : "\n";
  out += "=LDR  ";
  append_escaped(record.leader(), out, false);
  out += eol;
  for (const auto& f : record.fields()) {
    out += '=';
    out += f.tag();
    out += "  ";
    if (f.is_control()) {
      append_escaped(f.value(), out, true);
    } else {
      out += indicator(f.indicator1());
      out += indicator(f.indicator2());
      append_escaped(f.leading_data(), out, true);
      for (const auto& s : f.subfields()) {
        out += '$';
        append_escaped(std::string_view(&s.code, 1), out, false);
        append_escaped(s.value, out, false);
      }
    }
    out += eol;
  }
  out += eol;
}

}  // namespace marcscope
