// MARC-8 to UTF-8 conversion.
//
// One pass over the bytes with the G0/G1 designations as the only state:
//   - 0x20 is always SPACE, the other C0 bytes pass through unchanged, ESC starts an escape
//     sequence;
//   - 0x21-0x7F decode in G0, 0xA0-0xFF in G1, 0x80-0x9F are the C1 controls (MARC-8 defines
//     NSB, NSE, ZWJ, ZWNJ). The single-byte tables are indexed by the raw byte and hold every set
//     in both halves, so any set works as G0 or as G1;
//   - while EACC is designated, a character is three bytes (a space stays one byte, as in yaz and
//     MARC::Charset), looked up in O(1) in the EACC table;
//   - MARC-8 combining marks precede their base character, Unicode ones follow it: marks are held
//     back and written after the next base character (marks left over at the end of the string
//     are written after a SPACE);
//   - with G0 = ASCII, "&#xHHHH;" (the LoC lossless-conversion numeric character reference) is
//     replaced by the character it names.
// The tables come from tools/gen_marc8_tables.py. NFC runs only when the output holds a code point
// whose table entry is flagged as possibly not NFC-stable, so ASCII and most Latin text never
// pays for it.

#include "marcscope/charset/marc8.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "marcscope/charset/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace marcscope {
namespace {

#include "marc8_tables.inc"

constexpr int kAsciiSet = kSetByFinal[0x42];
constexpr int kAnselSet = kSetByFinal[0x45];
static_assert(kAsciiSet >= 0 && kAsciiSet < kSingleByteSetCount);
static_assert(kAnselSet >= 0 && kAnselSet < kSingleByteSetCount);
static_assert(kSetByFinal[0x31] == kEaccSet);
static_assert(kSetByFinal[0x67] >= 0 && kSetByFinal[0x62] >= 0 && kSetByFinal[0x70] >= 0);

constexpr unsigned char kEsc = 0x1B;

/// Writes `cp` (a valid scalar value) as UTF-8 into `buf`; returns the length.
inline std::size_t encode_utf8(char32_t cp, char* buf) {
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = static_cast<char>(0xF0 | (cp >> 18));
  buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

inline bool is_scalar_value(char32_t cp) { return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF); }

inline int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Combining marks waiting for their base character, as UTF-8. A fixed buffer covers every
/// realistic run of marks; a longer run spills into a string (allocation only in that case).
class PendingMarks {
 public:
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }
  char32_t first() const { return first_; }
  void add(char32_t cp) {
    char s[4];
    const std::size_t n = encode_utf8(cp, s);
    if (count_++ == 0) first_ = cp;
    if (spill_.empty() && len_ + n <= sizeof(buf_)) {
      std::memcpy(buf_ + len_, s, n);
      len_ += n;
      return;
    }
    if (spill_.empty()) {
      spill_.assign(buf_, len_);
      len_ = 0;
    }
    spill_.append(s, n);
  }
  void flush(std::string& out) {
    if (!spill_.empty()) {
      out += spill_;
      spill_.clear();
    } else {
      out.append(buf_, len_);
    }
    len_ = 0;
    count_ = 0;
  }
  void clear() {
    spill_.clear();
    len_ = 0;
    count_ = 0;
  }

 private:
  char buf_[64];
  std::size_t len_ = 0;
  std::size_t count_ = 0;
  char32_t first_ = 0;
  std::string spill_;
};

/// Bits set in `x`. std::popcount becomes a libgcc call without -mpopcnt; this stays inline.
inline int bit_count(std::uint64_t x) {
#if defined(__POPCNT__)
  return std::popcount(x);
#else
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
#endif
}

/// The table entry of 24-bit EACC code `key`, or 0.
inline std::uint32_t eacc_lookup(std::uint32_t key) {
  const std::uint32_t b1 = (key >> 16) - 0x20;
  const std::uint32_t b2 = ((key >> 8) & 0xFF) - 0x20;
  const std::uint32_t b3 = key & 0xFF;  // 0x00-0x7F: Innovative Interfaces codes have controls there
  if (b1 >= 96 || b2 >= 96 || b3 >= 128) return 0;  // unsigned: bytes below 0x20 wrap to large values
  const std::uint16_t row = kEaccRow[b1 * 96 + b2];
  if (row == 0) return 0;
  const std::uint64_t* bits = kEaccRowBits[row];
  const std::uint64_t word = bits[b3 >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (b3 & 63);
  if ((word & bit) == 0) return 0;
  const int rank = (b3 >= 64 ? bit_count(bits[0]) : 0) + bit_count(word & (bit - 1));
  return kEaccEntry[kEaccRowBase[row] + static_cast<std::size_t>(rank)];
}

/// compose() for the common case, a Basic Latin letter (A-z) and a mark from U+0300-U+033F:
/// a direct table of the composites (0: none). Every such composite is in the BMP (checked).
constexpr char32_t kLatinBase = U'A', kLatinBaseCount = U'z' - U'A' + 1, kMarkBase = 0x300, kMarkCount = 0x40;
struct LatinComposites {
  std::array<std::uint16_t, kLatinBaseCount * kMarkCount> table{};
  std::size_t count = 0, beyond_bmp = 0;
};
constexpr LatinComposites kLatin = [] {
  LatinComposites c;
  for (std::size_t i = 0; i < kComposeCount; ++i) {
    const char32_t base = kComposeKey[i] >> 16, mark = kComposeKey[i] & 0xFFFF;
    if (base - kLatinBase >= kLatinBaseCount || mark - kMarkBase >= kMarkCount) continue;
    ++c.count;
    if (kComposeValue[i] > 0xFFFF) ++c.beyond_bmp;
    c.table[(mark - kMarkBase) * kLatinBaseCount + (base - kLatinBase)] = static_cast<std::uint16_t>(kComposeValue[i]);
  }
  return c;
}();
static_assert(kLatin.beyond_bmp == 0 && kLatin.count > 300);

/// The canonical composite of `base` + `mark`, or 0.
inline char32_t compose(char32_t base, char32_t mark) {
  if (base - kLatinBase < kLatinBaseCount && mark - kMarkBase < kMarkCount)
    return kLatin.table[(mark - kMarkBase) * kLatinBaseCount + (base - kLatinBase)];
  if (base > 0xFFFF || mark > 0xFFFF) return 0;
  const std::uint32_t key = (static_cast<std::uint32_t>(base) << 16) | static_cast<std::uint32_t>(mark);
  const std::uint32_t* end = kComposeKey + kComposeCount;
  const std::uint32_t* it = std::lower_bound(kComposeKey, end, key);
  return (it != end && *it == key) ? kComposeValue[it - kComposeKey] : 0;
}

/// The end of the run of printable ASCII (0x20-0x7E) without '&' that starts at p[k]: the first
/// index from k on whose byte is not one, or n.
inline std::size_t plain_run_end(const unsigned char* p, std::size_t k, std::size_t n) {
#if defined(__SSE2__)
  // Sixteen bytes at a time. Signed compares: a byte above ASCII is negative, so below a blank.
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7F);
  const __m128i amp = _mm_set1_epi8('&');
  for (; k + 16 <= n; k += 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    const __m128i stop = _mm_or_si128(_mm_cmplt_epi8(w, space), _mm_or_si128(_mm_cmpeq_epi8(w, del), _mm_cmpeq_epi8(w, amp)));
    if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop)); mask != 0)
      return k + static_cast<std::size_t>(std::countr_zero(mask));
  }
#endif
  while (k < n && p[k] >= 0x20 && p[k] < 0x7F && p[k] != '&') ++k;
  return k;
}

class Decoder {
 public:
  Decoder(std::string_view in, std::string& out, std::vector<Marc8Problem>* problems, const Marc8Options& options)
      : p_(reinterpret_cast<const unsigned char*>(in.data())),
        n_(in.size()),
        out_(out),
        problems_(problems),
        options_(options) {
    designate(0, kAsciiSet);
    designate(1, kAnselSet);
    const bool valid = is_scalar_value(options.replacement) && options.replacement != 0;
    replacement_cp_ = valid ? options.replacement : U'\uFFFD';
    replacement_len_ = encode_utf8(replacement_cp_, replacement_);
    // ASCII and U+FFFD neither decompose nor compose; for anything else assume they might.
    replacement_nfc_ = replacement_cp_ >= 0x80 && replacement_cp_ != U'\uFFFD';
  }

  bool run();

 private:
  void designate(int g, int set) {
    set_[g] = set;
    if (set == kEaccSet) {
      table_[g] = nullptr;
    } else if (set == kAnselSet && options_.ligature_halves_fe2x) {
      table_[g] = kAnselFe2x;
    } else {
      table_[g] = kSingleByte[set];
    }
  }

  void append(char32_t cp) {
    char buf[4];
    out_.append(buf, encode_utf8(cp, buf));
  }

  /// Writes base character `cp` and the marks waiting for it. `flags` are its table flags:
  /// without kFlagNfc it is a starter NFC leaves alone whatever precedes it; if it has no
  /// canonical decomposition either, a single mark after it needs no normalization pass (NFC of
  /// base + mark is their composite if they have one, the pair itself otherwise). Anything else
  /// is left to the final NFC pass.
  void emit_base(char32_t cp, std::uint32_t flags) {
    if (pending_.empty()) {
      append(cp);
      needs_nfc_ |= (flags & kFlagNfc) != 0;
      return;
    }
    if ((flags & (kFlagNfc | kFlagDecomposes)) == 0 && pending_.count() == 1 && options_.normalize_nfc) {
      if (const char32_t composite = compose(cp, pending_.first())) {
        append(composite);
        pending_.clear();
        return;
      }
    } else {
      needs_nfc_ = true;
    }
    append(cp);
    pending_.flush(out_);
  }

  void emit_replacement() {
    if (pending_.empty()) {
      out_.append(replacement_, replacement_len_);
      needs_nfc_ |= replacement_nfc_;
    } else {
      emit_base(replacement_cp_, replacement_nfc_ ? kFlagNfc : 0);
    }
  }

  void apply(std::uint32_t entry) {
    if (entry & kFlagEmpty) return;
    const char32_t cp = entry & kCodePointMask;
    if (entry & kFlagCombining) {
      pending_.add(cp);
    } else {
      emit_base(cp, entry);
    }
  }

  void report(Marc8ProblemKind kind, std::size_t offset, std::string detail) {
    ok_ = false;
    if (problems_) problems_->push_back(Marc8Problem{kind, offset, std::move(detail)});
  }

  void unmapped_single(std::size_t offset, unsigned char b, int set) {
    if (problems_) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "0x%02X in %s", b, set < 0 ? "the C1 controls" : kSetName[set]);
      report(Marc8ProblemKind::UnmappedCode, offset, buf);
    } else {
      ok_ = false;
    }
    emit_replacement();
  }

  void escape();
  void eacc(unsigned char high);
  bool numeric_reference();

  const unsigned char* p_;
  std::size_t n_;
  std::size_t i_ = 0;
  std::string& out_;
  std::vector<Marc8Problem>* problems_;
  const Marc8Options& options_;
  int set_[2] = {0, 0};
  const std::uint32_t* table_[2] = {nullptr, nullptr};
  PendingMarks pending_;
  char32_t replacement_cp_ = U'\uFFFD';
  char replacement_[4] = {};
  std::size_t replacement_len_ = 0;
  bool replacement_nfc_ = false;
  bool needs_nfc_ = false;
  bool ok_ = true;
};

std::string escape_text(const unsigned char* p, std::size_t n) {
  std::string s = "ESC";
  char buf[8];
  for (std::size_t k = 1; k < n; ++k) {
    if (p[k] > 0x20 && p[k] < 0x7F) {
      s += ' ';
      s += static_cast<char>(p[k]);
    } else {
      std::snprintf(buf, sizeof buf, " 0x%02X", p[k]);
      s += buf;
    }
  }
  return s;
}

// ESC at p_[i_]. Designations are ESC I F with the intermediates I = [$] [( , ) -] [!] (the '!'
// is the second intermediate some writers put in the ANSEL designation) and any final byte F
// that names a set; technique 1 is ESC g / b / p / s. A recognised designation with an unknown
// final byte is skipped whole and leaves the designations as they were; anything else loses only
// the ESC, so the bytes after it decode as text (what pymarc does).
void Decoder::escape() {
  const std::size_t start = i_;
  const std::size_t j = i_ + 1;
  if (j >= n_) {
    report(Marc8ProblemKind::TruncatedSequence, start, "ESC at the end of the string");
    i_ = n_;
    return;
  }
  const unsigned char c = p_[j];
  switch (c) {
    case 'g':
    case 'b':
    case 'p':
      designate(0, kSetByFinal[c]);
      i_ = j + 1;
      return;
    case 's':
      designate(0, kAsciiSet);
      i_ = j + 1;
      return;
    default:
      break;
  }
  // The set named by F decides the character size, whatever the intermediates say.
  std::size_t k = j;
  int g = 0;
  if (k < n_ && p_[k] == '$') ++k;
  if (k < n_ && (p_[k] == '(' || p_[k] == ',')) {
    ++k;
  } else if (k < n_ && (p_[k] == ')' || p_[k] == '-')) {
    g = 1;
    ++k;
  }
  if (k < n_ && p_[k] == '!' && k > j) ++k;
  if (k == j) {
    report(Marc8ProblemKind::UnknownEscape, start, escape_text(p_ + start, 2));
    i_ = j;  // drop the ESC only
    return;
  }
  if (k >= n_) {
    report(Marc8ProblemKind::TruncatedSequence, start, escape_text(p_ + start, n_ - start) + " at the end of the string");
    i_ = j;
    return;
  }
  const unsigned char f = p_[k];
  if (f < 0x30 || f > 0x7E) {
    report(Marc8ProblemKind::UnknownEscape, start, escape_text(p_ + start, k + 1 - start));
    i_ = j;
    return;
  }
  const int set = kSetByFinal[f];
  if (set < 0) {
    report(Marc8ProblemKind::UnknownEscape, start, escape_text(p_ + start, k + 1 - start));
  } else {
    designate(g, set);
  }
  i_ = k + 1;
}

// A three-byte EACC character at p_[i_]. `high` is 0x00 for EACC as G0 and 0x80 for EACC as G1,
// whose bytes carry the high bit; it is stripped before the lookup.
void Decoder::eacc(unsigned char high) {
  const std::size_t start = i_;
  // The second and third bytes must come from the same half as the first. LoC codes use
  // 0x20-0x7E there (0x212320 has a space) and Innovative Interfaces' extensions also 0x7F and
  // controls (0x7F2014), so only ESC, the MARC structure characters 0x1D-0x1F, a byte from the
  // other half or the end of the string cut the character short.
  std::size_t k = 1;
  while (k < 3 && start + k < n_) {
    const unsigned char low = static_cast<unsigned char>(p_[start + k] ^ high);
    if (low >= 0x80 || low == kEsc || (low >= 0x1D && low <= 0x1F)) break;
    ++k;
  }
  if (k < 3) {
    if (problems_) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "EACC character cut short after %zu byte%s", k, k == 1 ? "" : "s");
      report(Marc8ProblemKind::TruncatedSequence, start, buf);
    } else {
      ok_ = false;
    }
    emit_replacement();
    i_ = start + k;
    return;
  }
  const std::uint32_t key = (static_cast<std::uint32_t>(p_[start] ^ high) << 16) |
                            (static_cast<std::uint32_t>(p_[start + 1] ^ high) << 8) |
                            static_cast<std::uint32_t>(p_[start + 2] ^ high);
  i_ = start + 3;
  const std::uint32_t entry = eacc_lookup(key);
  if (entry == 0) {
    if (problems_) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "0x%06X in %s", static_cast<unsigned>(key), kSetName[kEaccSet]);
      report(Marc8ProblemKind::UnmappedCode, start, buf);
    } else {
      ok_ = false;
    }
    emit_replacement();
    return;
  }
  apply(entry);
}

// "&#x" at p_[i_] with G0 = ASCII: 1-6 hex digits and ';' naming a Unicode scalar value other
// than U+0000 become that character. Returns false (consuming nothing) for anything else.
bool Decoder::numeric_reference() {
  const std::size_t start = i_;
  if (start + 4 >= n_ || p_[start + 1] != '#' || p_[start + 2] != 'x') return false;
  char32_t cp = 0;
  std::size_t k = start + 3;
  std::size_t digits = 0;
  while (k < n_ && digits < 7) {
    const int v = hex_value(p_[k]);
    if (v < 0) break;
    cp = cp * 16 + static_cast<char32_t>(v);
    ++k;
    ++digits;
  }
  if (digits == 0 || digits > 6 || k >= n_ || p_[k] != ';') return false;
  // ISO 2709's subfield delimiter and terminators are structure, never text: a reference to
  // one stays as the literal text it is, so it cannot split a field when the record is written.
  if (cp == 0 || (cp >= 0x1D && cp <= 0x1F) || !is_scalar_value(cp)) return false;
  emit_base(cp, kFlagNfc);
  i_ = k + 1;
  return true;
}

bool Decoder::run() {
  const std::size_t out_start = out_.size();
  out_.reserve(out_start + n_ + n_ / 2 + 8);
  while (i_ < n_) {
    const unsigned char b = p_[i_];
    if (b < 0x80) {
      if (b > 0x20 && b < 0x7F && table_[0] == kSingleByte[kAsciiSet] && pending_.empty()) {
        // ASCII fast path: copy the run of printable ASCII (spaces included) up to the next '&',
        // control, escape or high byte.
        if (b == '&') {
          if (!numeric_reference()) {
            out_.push_back('&');
            ++i_;
          }
          continue;
        }
        const std::size_t k = plain_run_end(p_, i_ + 1, n_);
        out_.append(reinterpret_cast<const char*>(p_ + i_), k - i_);
        i_ = k;
        continue;
      }
      if (b == 0x20) {
        emit_base(U' ', 0);
        ++i_;
        continue;
      }
      if (b == kEsc) {
        escape();
        continue;
      }
      if (b < 0x20) {
        out_.push_back(static_cast<char>(b));  // C0 control: passes through
        ++i_;
        continue;
      }
      if (set_[0] == kEaccSet) {
        eacc(0x00);
        continue;
      }
      if (b == '&' && set_[0] == kAsciiSet && numeric_reference()) continue;
      const std::uint32_t e = table_[0][b];
      if (e == 0) {
        unmapped_single(i_, b, set_[0]);
      } else {
        apply(e);
      }
      ++i_;
    } else if (b < 0xA0) {
      // C1 controls (NSB, NSE, ZWJ, ZWNJ) do not depend on the G1 designation.
      const std::uint32_t e = kC1[b - 0x80];
      if (e == 0) {
        unmapped_single(i_, b, -1);
      } else {
        apply(e);
      }
      ++i_;
    } else {
      if (set_[1] == kEaccSet && b >= 0xA1 && b != 0xFF) {
        eacc(0x80);
        continue;
      }
      const std::uint32_t e = table_[1] ? table_[1][b] : 0;
      if (e == 0) {
        unmapped_single(i_, b, set_[1]);
      } else {
        apply(e);
      }
      ++i_;
    }
  }
  if (!pending_.empty()) {
    // Marks with no base character after them (pymarc and MARC::Charset drop them, yaz fails):
    // they are kept, on a SPACE, Unicode's base for a diacritic shown alone, so that they neither
    // vanish nor attach to (and under NFC compose with) the character before them.
    emit_base(U' ', 0);
  }
  if (needs_nfc_ && options_.normalize_nfc) {
    std::string composed = nfc(std::string_view(out_).substr(out_start));
    out_.resize(out_start);
    out_ += composed;
  }
  return ok_;
}

}  // namespace

bool marc8_to_utf8(std::string_view in, std::string& out, std::vector<Marc8Problem>* problems,
                   const Marc8Options& options) {
  if (is_marc8_plain_ascii(in)) {
    out.append(in);
    return true;
  }
  Decoder decoder(in, out, problems, options);
  return decoder.run();
}

}  // namespace marcscope
