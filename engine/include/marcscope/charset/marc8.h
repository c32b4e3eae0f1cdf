#pragma once
// MARC-8 to UTF-8 conversion for every character set in the Library of Congress code tables.
// The tables are generated from resources/marc8/codetables.xml by tools/gen_marc8_tables.py.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace marcscope {

enum class Marc8ProblemKind {
  UnknownEscape,      ///< ESC followed by bytes that designate no known set
  UnmappedCode,       ///< a code with no character in the active G0/G1 set
  TruncatedSequence,  ///< the input ends inside a 3-byte EACC character or an escape sequence
};

struct Marc8Problem {
  Marc8ProblemKind kind;
  std::size_t offset;   ///< byte offset inside the converted string
  std::string detail;   ///< e.g. "ESC ( Z" or "0xE0 in Hebrew"
};

struct Marc8Options {
  /// The LoC tables map the ligature and double-tilde halves (Extended Latin 0xEB/0xEC, 0xFA/0xFB)
  /// to U+0361/U+0360 with U+FE20-U+FE23 as alternates. pymarc emits the U+FE2x forms; we default
  /// to them for compatibility, false selects the LoC primary mapping.
  bool ligature_halves_fe2x = true;
  /// Compose the result to Unicode NFC (what pymarc returns). Off gives the decomposed sequence
  /// in MARC-8 order fixed up (combining marks after their base character).
  bool normalize_nfc = true;
  /// Unknown codes become this character (pymarc writes a space); problems are always reported.
  char32_t replacement = U'\uFFFD';
};

namespace detail {

/// The last 1-7 bytes of a string as one word (overlapping loads, no byte-by-byte loop); bytes
/// the string does not have read as `fill`, which must be a byte every test lets pass.
inline std::uint64_t load_tail(const char* p, std::size_t n, std::uint64_t fill) {
  if (n >= 4) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (std::uint64_t(hi) << 32);
  }
  if (n >= 2) {
    std::uint16_t lo, hi;
    std::memcpy(&lo, p, 2);
    std::memcpy(&hi, p + n - 2, 2);
    return (fill & ~0xFFFFFFFFull) | lo | (std::uint32_t(hi) << 16);
  }
  return n == 1 ? (fill & ~0xFFull) | static_cast<unsigned char>(*p) : fill;
}

/// True when no byte of the string passes `bad` (a test on eight bytes at a time that is
/// non-zero when any byte of the word is bad). `fill` as for load_tail.
template <class Bad>
inline bool no_byte(std::string_view s, std::uint64_t fill, Bad bad) {
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (bad(w)) return false;
  }
  return n == 0 || !bad(load_tail(p, n, fill));
}

constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
/// Non-zero when some byte of `v` is zero (exact as a yes/no answer).
constexpr std::uint64_t has_zero_byte(std::uint64_t v) { return (v - kOnes) & ~v & kHigh; }

}  // namespace detail

/// True when `s` is printable ASCII without '&': the same bytes in MARC-8 and in UTF-8, so both
/// converters can copy it as it is.
inline bool is_marc8_plain_ascii(std::string_view s) {
  using namespace detail;
  // A byte fails when its high bit is set, when it is below 0x20 (then subtracting 0x20 borrows
  // into its high bit), or when it is 0x7F or '&'. Blanks fill the tail.
  return no_byte(s, 0x2020202020202020ull, [](std::uint64_t w) {
    return (w & kHigh) | ((w - 0x2020202020202020ull) & ~w & kHigh) | has_zero_byte(w ^ 0x7F7F7F7F7F7F7F7Full) |
           has_zero_byte(w ^ 0x2626262626262626ull);
  });
}

/// Converts one MARC-8 string (a subfield value or a control field) to UTF-8, appending to `out`.
/// Decoding starts in the default state (G0 = Basic Latin, G1 = Extended Latin/ANSEL), handles
/// escape sequences (ESC ( ) , $ designations and the technique-1 shortcuts ESC g/b/p/s),
/// moves combining marks after their base character, and turns numeric character references
/// (&#xHHHH;) into the character they name. Problems are appended to `problems` when not null;
/// conversion always completes. Returns true when there were no problems.
bool marc8_to_utf8(std::string_view in, std::string& out, std::vector<Marc8Problem>* problems = nullptr,
                   const Marc8Options& options = {});

/// Options for writing MARC-8.
struct Marc8EncodeOptions {
  /// Characters with no MARC-8 form are written as numeric character references (&#xHHHH;, at
  /// least four upper-case hex digits), the LoC lossless convention; false writes `fallback`
  /// instead (LoC's lossy convention uses '|'; a byte that is not printable ASCII becomes '?').
  /// Either way each is reported.
  bool use_ncr = true;
  char fallback = '?';
};

/// Converts one UTF-8 string (a subfield value or control field) to MARC-8, appending to `out`:
/// text is decomposed (NFD) where MARC-8 needs base + combining mark, marks are moved before
/// their base character, and escape sequences switch G0/G1 between the LoC character sets as
/// needed, returning to the default sets (ASCII / ANSEL) at the end of the string. A character
/// goes in Basic Latin if it is there, else in ANSEL (G1, never redesignated), else in the other
/// sets, each designated as G0 (ESC ( F, ESC $ 1, ESC g/b/p ... ESC s); an escape is written only
/// when G0 must change. Characters with no MARC-8 form become problems of kind UnmappedCode
/// (offset = byte offset in `in`, detail names the code point, e.g. "U+2603"); a combining mark
/// that cannot precede its base is written as a reference after it. Invalid UTF-8 is reported
/// the same way and written as U+FFFD. With use_ncr, a literal "&#x...;" that marc8_to_utf8
/// would read as a reference gets its '&' written as &#x0026;. C0 controls other than ESC pass
/// through. marc8_to_utf8 of the result equals the input after NFC (U+0360/U+0361 come back as
/// U+FE2x unless ligature_halves_fe2x is false). Returns true when there were no problems. See
/// resources/marc8/README.md, "Encoding".
bool utf8_to_marc8(std::string_view in, std::string& out, std::vector<Marc8Problem>* problems = nullptr,
                   const Marc8EncodeOptions& options = {});

}  // namespace marcscope
