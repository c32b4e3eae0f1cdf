#include "marcscope/charset/utf8.h"

#include <utf8proc.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace marcscope {
namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (RFC 3629:
/// no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t valid_sequence_length(const unsigned char* s, std::size_t i, std::size_t n) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    return (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (i + 2 >= n) return 0;
    unsigned char c1 = s[i + 1];
    if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (i + 3 >= n) return 0;
    unsigned char c1 = s[i + 1];
    if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

/// Length of the maximal invalid subsequence at s[i] (Unicode's "substitution of maximal
/// subparts"), at least 1.
std::size_t invalid_run_length(const unsigned char* s, std::size_t i, std::size_t n) {
  unsigned char c = s[i];
  std::size_t expected = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 1;
  std::size_t k = 1;
  while (k < expected && i + k < n && (s[i + k] & 0xC0) == 0x80) {
    if (k == 1) {
      unsigned char c1 = s[i + 1];
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
        break;
    }
    ++k;
  }
  return k;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view sv) { return scan_utf8(sv).first_invalid; }

/// Index of the first byte >= 0x80 in s[i, n), or n: sixteen bytes at a time (SSE2), then
/// eight, then one.
static inline std::size_t skip_ascii(const unsigned char* s, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
    if (mask != 0) return i + static_cast<std::size_t>(std::countr_zero(mask));
  }
#endif
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s + i, 8);
    if (const std::uint64_t high = word & 0x8080808080808080ull; high != 0) {
      if constexpr (std::endian::native == std::endian::little)
        return i + static_cast<std::size_t>(std::countr_zero(high)) / 8;
      else
        break;
    }
  }
  while (i < n && s[i] < 0x80) ++i;
  return i;
}

Utf8Scan scan_utf8(std::string_view sv) {
  Utf8Scan result;
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  for (std::size_t i = skip_ascii(s, 0, n); i < n; i = skip_ascii(s, i, n)) {
    result.non_ascii = true;
    const std::size_t len = valid_sequence_length(s, i, n);
    if (len == 0) {
      result.first_invalid = i;
      return result;
    }
    i += len;
  }
  return result;
}

std::size_t skip_utf8_sequences(std::string_view sv, std::size_t i) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  while (i < n && s[i] >= 0x80) {
    const std::size_t len = valid_sequence_length(s, i, n);
    if (len == 0) return std::string_view::npos;
    i += len;
  }
  return i;
}

Utf8Census census_utf8(std::string_view sv) {
  Utf8Census c;
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  for (std::size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    if (const std::size_t len = valid_sequence_length(s, i, n)) {
      ++c.multibyte;
      i += len;
    } else {
      ++c.invalid;
      i += invalid_run_length(s, i, n);
    }
  }
  return c;
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t cut = max_bytes;
  // Back up over continuation bytes to the start of the character the cut falls in.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

std::string_view utf8_suffix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t start = s.size() - max_bytes;
  while (start < s.size() && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) ++start;
  return s.substr(start);
}

bool looks_like_utf8(std::string_view sv) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  bool multibyte = false;
  for (std::size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = valid_sequence_length(s, i, n);
    if (len == 0) return false;
    multibyte = true;
    i += len;
  }
  return multibyte;
}

std::size_t append_utf8_replacing(std::string_view sv, std::string& out, std::string_view replacement) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  std::size_t replaced = 0;
  std::size_t i = 0;
  while (i < n) {
    std::size_t bad = find_invalid_utf8(sv.substr(i));
    if (bad == std::string_view::npos) {
      out.append(sv.substr(i));
      break;
    }
    out.append(sv.substr(i, bad));
    i += bad;
    i += invalid_run_length(s, i, n);
    out.append(replacement);
    ++replaced;
  }
  return replaced;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.append("\xEF\xBF\xBD");
  }
}

std::string nfc(std::string_view s) {
  // Pure ASCII is already NFC; skip the library call on the common case.
  bool ascii = true;
  for (unsigned char c : s) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return std::string(s);
  utf8proc_uint8_t* result = nullptr;
  utf8proc_ssize_t len = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                      static_cast<utf8proc_ssize_t>(s.size()), &result,
                                      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (len < 0 || result == nullptr) return std::string(s);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<std::size_t>(len));
}

}  // namespace marcscope
