#pragma once
// Internal: the decimal digits of ISO 2709 directory entries and leader lengths, written two at a
// time from a table (every writer of ISO 2709 bytes writes nine digits per field).

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

}  // namespace marcscope::detail
