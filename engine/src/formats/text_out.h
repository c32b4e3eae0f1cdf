#pragma once
// Internal to the engine: what the text writers (MARCXML, MARC-in-JSON) share to write fast — an
// output string written through a raw pointer, and a word test (SWAR) that finds the next byte
// of a value that needs escaping while clean bytes are copied eight at a time.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "format_support.h"
#include "marcscope/charset/marc8.h"

namespace marcscope::detail {

/// Appends to a string through a raw pointer (`o` below, kept by the caller in a register):
/// need() makes room for k more bytes at o, the string's size running ahead of what has been
/// written (in steps of at least 1 KB, so that the zero fill of resize() stays small); finish()
/// cuts the string back to o, abandon() to what it held before (after an exception, when o may
/// point into a buffer that has been replaced).
class Sink {
 public:
  explicit Sink(std::string& s) : s_(s), begin_(s.size()), end_(s.data() + s.size()) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  char* start() const { return end_; }
  /// Makes room for k bytes at o; returns o, which moves when the string grows.
  char* need(char* o, std::size_t k) { return static_cast<std::size_t>(end_ - o) < k ? grow(o, k) : o; }
  [[gnu::noinline]] char* grow(char* o, std::size_t k) {
    const std::size_t used = static_cast<std::size_t>(o - s_.data());
    s_.resize(used + std::max<std::size_t>(k, 1024));  // libstdc++ and libc++ grow the capacity geometrically
    end_ = s_.data() + s_.size();
    return s_.data() + used;
  }
  char* end() const { return end_; }
  void finish(char* o) { s_.resize(static_cast<std::size_t>(o - s_.data())); }
  void abandon() { s_.resize(begin_); }

 private:
  std::string& s_;
  std::size_t begin_;
  char* end_;
};

/// Copies a literal to o (room must have been made); returns the end.
inline char* put(char* o, std::string_view lit) {
  std::memcpy(o, lit.data(), lit.size());
  return o + lit.size();
}

// kOnes, kHigh and has_zero_byte come from marc8.h (the MARC-8 fast paths use them too).
constexpr std::uint64_t rep(unsigned char c) { return kOnes * c; }
/// High bit of each zero byte of v; false positives only in bytes above a real one, so the
/// lowest flagged byte is exact.
constexpr std::uint64_t zero_bytes(std::uint64_t v) { return has_zero_byte(v); }
/// High bits of the bytes of w that are >= 0x80 or < 0x20 (the lowest is exact).
constexpr std::uint64_t high_or_control(std::uint64_t w) { return (w | ((w - rep(0x20)) & ~w)) & kHigh; }

/// The 1-7 bytes at p as a word with each byte in its place; the bytes past them read as 'A'
/// (which no writer needs to look at). Overlapping loads, no loop.
inline std::uint64_t load_partial(const char* p, std::size_t n) {
  std::uint64_t w;
  if (n >= 4) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    w = lo | ((std::uint64_t{hi} >> (8 * (8 - n))) << 32);
  } else if (n >= 2) {
    std::uint16_t lo, hi;
    std::memcpy(&lo, p, 2);
    std::memcpy(&hi, p + n - 2, 2);
    w = lo | ((std::uint64_t{hi} >> (8 * (4 - n))) << 16);
  } else {
    w = static_cast<unsigned char>(*p);
  }
  return w | (rep('A') << (8 * n));
}

/// Copies the bytes of s[0, n) up to the first one that needs a look to o, and returns how many
/// there are (n when none needs one). It may store up to 7 bytes more at o. `attention(w)` gives
/// the high bits of the bytes of a little-endian word that need a look (the lowest exact);
/// `plain` says the same byte by byte (the big-endian fallback).
template <class Attention>
inline std::size_t copy_clean(const char* s, std::size_t n, char* o, Attention attention,
                              const std::array<bool, 256>& plain) {
  if constexpr (std::endian::native == std::endian::little) {
    (void)plain;
    std::uint64_t w, m;
    std::size_t i = 0;
    for (; n - i >= 8; i += 8) {
      std::memcpy(&w, s + i, 8);
      std::memcpy(o + i, &w, 8);
      if ((m = attention(w)) != 0) return i + (static_cast<std::size_t>(std::countr_zero(m)) >> 3);
    }
    if (i == n) return n;
    w = load_partial(s + i, n - i);
    std::memcpy(o + i, &w, 8);
    if ((m = attention(w)) != 0) return i + (static_cast<std::size_t>(std::countr_zero(m)) >> 3);
    return n;
  } else {
    (void)attention;
    std::size_t k = 0;
    for (; k < n && plain[static_cast<unsigned char>(s[k])]; ++k) o[k] = s[k];
    return k;
  }
}

#if defined(__SSE2__)
/// Bytes below 0x20 or above ASCII in w (signed compare: those are negative): what every text
/// writer looks at.
inline __m128i high_or_control16(__m128i w) { return _mm_cmplt_epi8(w, _mm_set1_epi8(0x20)); }
#endif

/// copy_clean() sixteen bytes at a time first (SSE2: `attention16(w)` gives the bytes of a block
/// that need a look, as a bit mask), then eight at a time as copy_clean() does.
template <class Attention16, class Attention>
inline std::size_t copy_clean16(const char* s, std::size_t n, char* o, Attention16 attention16, Attention attention,
                                const std::array<bool, 256>& plain) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; n - i >= 16; i += 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), w);
    if (const unsigned m = attention16(w); m != 0) return i + static_cast<std::size_t>(std::countr_zero(m));
  }
#else
  (void)attention16;
#endif
  return i + copy_clean(s + i, n - i, o + i, attention, plain);
}

/// Copies an as-is record's value from p to o up to the first byte that needs a look or to `end`
/// (the field's end), sixteen bytes at a time while `limit` (the record's end) allows a load:
/// such a load may read, and its store write, past `end` (o has room for the whole field plus
/// the writers' slack). `attention16(w)` marks the bytes of a block that need a look (SSE2);
/// `plain(c)` says byte by byte which do not, near `limit`. Returns where it stopped (`end`, or
/// a byte that needs a look: a delimiter ends the value, anything else is escaped by the caller);
/// o is advanced past what was copied.
template <class Attention16, class Plain>
inline const char* copy_as_is(const char* p, const char* end, const char* limit, char*& o, Attention16 attention16,
                              Plain plain) {
#if defined(__SSE2__)
  while (limit - p >= 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), w);
    const unsigned m = attention16(w);
    if (m == 0 && end - p > 16) {
      p += 16;
      o += 16;
      continue;
    }
    const std::size_t k = m == 0 ? 16 : static_cast<std::size_t>(std::countr_zero(m));
    if (k >= static_cast<std::size_t>(end - p)) {  // the value ends with the field
      o += end - p;
      return end;
    }
    o += k;
    return p + k;
  }
#else
  (void)limit;
  (void)attention16;
#endif
  while (p < end && plain(static_cast<unsigned char>(*p))) *o++ = *p++;
  return p;
}

/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
inline constexpr char kReplacement[] = "\xEF\xBF\xBD";

/// Copies the run of bytes >= 0x80 at u[i, n), advancing i and o: valid UTF-8 sequences as they
/// are, each invalid byte as U+FFFD (counted in `invalid`). `room()` must make room at o for what
/// is left plus the escaping slack (a replacement can be longer than the byte it replaces);
/// `special(p, len)` may write a valid sequence itself and return true (the MARCXML writer
/// replaces the noncharacters U+FFFE and U+FFFF). A whole run is checked without going back to
/// the word test.
template <class Room, class Special>
inline void copy_utf8_run(const unsigned char* u, std::size_t& i, std::size_t n, char*& o, std::size_t& invalid,
                          Room room, Special special) {
  do {
    const unsigned char* p = u + i;
    const std::size_t len = utf8_sequence_length(p, n - i);
    if (len == 0) {
      room();
      std::memcpy(o, kReplacement, 3);
      o += 3;
      ++invalid;
      ++i;
    } else if (!special(p, len)) {
      for (std::size_t j = 0; j < len; ++j) o[j] = static_cast<char>(p[j]);
      o += len;
      i += len;
    }
  } while (i < n && u[i] >= 0x80);
}

}  // namespace marcscope::detail
