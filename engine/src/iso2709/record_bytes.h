#pragma once
// Internal to stage 2: byte classes, number and text helpers, and the diagnostic sink shared by
// RecordView::parse (record_view.cpp) and the reading of damaged records (record_repair.cpp).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "marcscope/core/diagnostic.h"
#include "marcscope/core/read_mode.h"

namespace marcscope::stage2 {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One table lookup per character instead of a chain of range tests (tags and indicators are
// checked for every field of every record).
inline constexpr std::uint8_t kTagChar = 1;   // letters and digits
inline constexpr std::uint8_t kIndicator = 2;  // MARC 21 indicators: blank, lowercase letters, digits
inline constexpr auto kCharClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kTagChar | kIndicator;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kTagChar | kIndicator;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kTagChar;
  t[' '] = kIndicator;
  return t;
}();
inline std::uint8_t char_class(char c) { return kCharClass[static_cast<unsigned char>(c)]; }
inline bool is_tag(std::string_view t) { return char_class(t[0]) & char_class(t[1]) & char_class(t[2]) & kTagChar; }

/// Bytes as text for a message: control and non-ASCII bytes become '?'.
inline std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c >= 0x7F) ? '?' : static_cast<char>(c);
  return out;
}

/// "0x1F" for a byte.
inline std::string hex_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::string("0x") + "0123456789ABCDEF"[u >> 4] + "0123456789ABCDEF"[u & 15];
}

/// Where stage 2 reports a record's problems. Problems that lose or guess data are errors: Strict
/// and Permissive reject the record, Recover repairs it. Warnings never reject.
struct Report {
  ReadMode mode;
  std::uint64_t number;
  std::uint64_t offset;  ///< the record's absolute offset: `at` arguments are relative to it
  Diagnostics& diags;
  bool repaired = false;
  bool rejected = false;

  bool recover() const { return mode == ReadMode::Recover; }
  void error(Code code, std::uint64_t at, std::string tag, std::string message) {
    diags.push_back({mode == ReadMode::Strict ? Severity::Fatal : Severity::Error, code, number, offset + at,
                     std::move(tag), 0, std::move(message)});
    if (mode == ReadMode::Recover) repaired = true;
    else rejected = true;
  }
  void warning(Code code, std::uint64_t at, std::string tag, std::string message) {
    diags.push_back({Severity::Warning, code, number, offset + at, std::move(tag), 0, std::move(message)});
  }
};

}  // namespace marcscope::stage2
