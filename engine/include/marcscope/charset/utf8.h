#pragma once
// UTF-8 checks and repair.

#include <cstddef>
#include <string>
#include <string_view>

namespace marcscope {

/// Offset of the first invalid UTF-8 sequence (overlongs, surrogates and > U+10FFFF are invalid),
/// or npos when the whole string is valid.
std::size_t find_invalid_utf8(std::string_view s);

/// One pass: the offset of the first invalid sequence (npos when valid) and whether any byte is
/// outside ASCII.
struct Utf8Scan {
  std::size_t first_invalid = std::string_view::npos;
  bool non_ascii = false;
};
Utf8Scan scan_utf8(std::string_view s);

inline bool is_valid_utf8(std::string_view s) { return find_invalid_utf8(s) == std::string_view::npos; }

/// Length of the valid UTF-8 sequence starting at `p` (at most `avail` bytes), 0 when invalid
/// (overlongs, surrogates and code points above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t avail) {
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((p[k] & 0xC0) != 0x80) return 0;
  return len;
}

/// From s[i] on, the valid multi-byte sequences that follow one another: the index of the first
/// ASCII byte after them (or s.size()), or npos at the first invalid one.
std::size_t skip_utf8_sequences(std::string_view s, std::size_t i);

/// A scan of the whole string: how many valid multi-byte sequences and how many invalid ones
/// (maximal subparts, as append_utf8_replacing counts them) it holds.
struct Utf8Census {
  std::size_t multibyte = 0;
  std::size_t invalid = 0;
};
Utf8Census census_utf8(std::string_view s);

/// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a multi-byte
/// sequence (for quoting a value in a message).
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);
/// The longest suffix of `s` of at most `max_bytes` bytes that does not start inside one.
std::string_view utf8_suffix(std::string_view s, std::size_t max_bytes);

/// True when `s` contains at least one valid multi-byte sequence and no invalid one: the signature
/// of UTF-8 text (ANSEL bytes almost never form valid sequences).
bool looks_like_utf8(std::string_view s);

/// Appends `s` to `out`, replacing each maximal invalid subsequence with `replacement` (U+FFFD
/// unless told otherwise; empty drops it). Returns the number of replacements. The subsequences
/// are the ones Python's UTF-8 codec replaces one by one with errors="replace".
std::size_t append_utf8_replacing(std::string_view s, std::string& out, std::string_view replacement = "\xEF\xBF\xBD");

/// Appends code point `cp` to `out` as UTF-8.
void append_utf8(char32_t cp, std::string& out);

/// NFC-composes a valid UTF-8 string (utf8proc).
std::string nfc(std::string_view s);

}  // namespace marcscope
