#pragma once
// Internal: the numbers of ISO 2709 directory entries and leaders, their digits written two at a
// time from a table, for every writer of ISO 2709 bytes (nine digits per field).

#include <array>
#include <cstddef>
#include <cstring>

namespace marcscope::detail {

inline constexpr auto kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
    t[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

/// Four decimal digits of `value` (below 10,000) at `o`.
inline void put_digits4(char* o, std::size_t value) {
  std::memcpy(o, &kDigitPairs[2 * (value / 100)], 2);
  std::memcpy(o + 2, &kDigitPairs[2 * (value % 100)], 2);
}

/// Five decimal digits of `value` (below 100,000) at `o`.
inline void put_digits5(char* o, std::size_t value) {
  *o = static_cast<char>('0' + value / 10000);
  put_digits4(o + 1, value % 10000);
}

/// A directory entry at `e` (12 bytes): the tag's three bytes, the field's length with its
/// terminator (below 10,000) and where it starts in the data area (below 100,000).
inline void put_entry(char* e, const char* tag, std::size_t length, std::size_t start) {
  std::memcpy(e, tag, 3);
  put_digits4(e + 3, length);
  put_digits5(e + 7, start);
}

/// What the UTF-8 ISO 2709 writers set in the 24-byte leader at `o`: the record's length and base
/// address, leader/09 'a', two indicators and one-character codes, and "4500".
inline void set_written_leader(char* o, std::size_t total, std::size_t base) {
  put_digits5(o, total);
  put_digits5(o + 12, base);
  o[9] = 'a';
  o[10] = '2';
  o[11] = '2';
  std::memcpy(o + 20, "4500", 4);
}

}  // namespace marcscope::detail
