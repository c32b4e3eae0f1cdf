#pragma once
// Internal to the engine: a string as a JSON string literal, for the reports (validation,
// statistics) that are written as JSON a piece at a time. The record writers have their own,
// faster escaping (formats/json_writer.cpp), which also repairs what is not UTF-8.
#include <cstdio>
#include <string>
#include <string_view>

namespace marcscope::detail {

/// `s` in double quotes, with '"', '\\' and control characters escaped (\n, \r, \t by name, the
/// rest as \u00XX). Bytes from 0x80 up are copied: callers pass UTF-8.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace marcscope::detail
