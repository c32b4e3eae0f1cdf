#include "marcscope/model/record.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "marcscope/charset/utf8.h"
#include "marcscope/iso2709/record_view.h"
#include "core/strings.h"
#include "iso2709/digits.h"
#include "iso2709/record_bytes.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MARCSCOPE_AVX2_PATH 1
#endif
#endif

namespace marcscope {
using detail::construct_into;
namespace {

inline bool is_printable(char c) { return c >= 0x20 && c < 0x7F; }
inline char printable_or(char c, char fallback) { return is_printable(c) ? c : fallback; }

}  // namespace

const std::string* Field::subfield(char code) const {
  for (const auto& s : subfields_)
    if (s.code == code) return &s.value;
  return nullptr;
}

std::vector<std::string> Field::subfield_values(char code) const {
  std::vector<std::string> values;
  for (const auto& s : subfields_)
    if (s.code == code) values.push_back(s.value);
  return values;
}

Record::Record() = default;

const std::string& Record::default_leader() {
  static const std::string kDefault = "00000nam a2200000 i 4500";
  return kDefault;
}

void Record::set_leader(std::string_view leader) {
  leader_.assign(leader.substr(0, 24));
  if (leader_.size() < 24) leader_.append(24 - leader_.size(), ' ');
}

void Record::set_leader_at(std::size_t position, char value) {
  if (position >= 24) throw std::out_of_range("leader position " + std::to_string(position) + " is not 0-23");
  if (leader_.empty()) leader_ = default_leader();
  leader_[position] = value;
}

std::size_t Record::remove_fields(std::string_view tag) {
  const auto before = fields_.size();
  std::erase_if(fields_, [&](const Field& f) { return f.tag() == tag; });
  return before - fields_.size();
}

const Field* Record::first(std::string_view tag) const {
  for (const auto& f : fields_)
    if (f.tag() == tag) return &f;
  return nullptr;
}

std::vector<const Field*> Record::fields_with_tag(std::string_view tag) const {
  std::vector<const Field*> out;
  for (const auto& f : fields_)
    if (f.tag() == tag) out.push_back(&f);
  return out;
}

namespace {

/// Delimiter positions of one field: a buffer on the stack that spills to the heap only for a
/// field with more subfields than it holds (no thread-local vector to reach for each push).
class Positions {
 public:
  void clear() { size_ = 0; }
  void push(std::uint32_t at) {
    if (size_ == capacity_) [[unlikely]] grow();
    data_[size_++] = at;
  }
  std::size_t size() const { return size_; }
  std::uint32_t operator[](std::size_t i) const { return data_[i]; }

 private:
  void grow() {
    spill_.resize(capacity_ * 2);
    if (data_ != spill_.data()) std::memcpy(spill_.data(), data_, size_ * sizeof(std::uint32_t));
    data_ = spill_.data();
    capacity_ = spill_.size();
  }
  static constexpr std::size_t kLocal = 128;
  std::uint32_t local_[kLocal];
  std::uint32_t* data_ = local_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kLocal;
  std::vector<std::uint32_t> spill_;
};

/// Puts in `out` the position in `area` of every subfield delimiter, sixteen bytes at a time
/// (SSE2; a byte loop elsewhere): one pass over the field instead of a memchr call per subfield.
/// `readable` is how many bytes from area.data() may be read (to the end of the record): an
/// area shorter than sixteen bytes is still read in one load when the record goes on that far.
inline void find_delimiters(std::string_view area, std::size_t readable, Positions& out) {
  out.clear();
  const char* p = area.data();
  const std::size_t n = area.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time; the last partial block is read again from n - 16, its bytes
  // already seen masked off.
  const __m128i delim = _mm_set1_epi8(kSubfieldDelimiter);
  auto collect = [&](std::size_t at, unsigned mask) {
    while (mask) {
      out.push(static_cast<std::uint32_t>(at + static_cast<unsigned>(std::countr_zero(mask))));
      mask &= mask - 1;
    }
  };
  if (n < 16 && readable >= 16) {
    // One load past the area's end (inside the record), the bytes after it masked off.
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    collect(0, static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, delim))) & ((1u << n) - 1));
    return;
  }
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    collect(i, static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, delim))));
  }
  if (i < n && n >= 16) {
    const std::size_t at = n - 16;
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    const unsigned seen = static_cast<unsigned>(i - at);
    collect(at, static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, delim))) >> seen << seen);
    return;
  }
#else
  (void)readable;
#endif
  for (; i < n; ++i)
    if (p[i] == kSubfieldDelimiter) out.push(static_cast<std::uint32_t>(i));
}


/// True when all 24 bytes of `leader` are printable ASCII: three eight-byte words at once.
inline bool printable24(std::string_view leader) {  // leader.size() == 24
  std::uint64_t bad = 0;
  for (std::size_t i = 0; i < 24; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, leader.data() + i, 8);
    using namespace detail;
    // A byte >= 0x80, one below 0x20, or 0x7F.
    bad |= (w & kHigh) | ((w - 0x2020202020202020ull) & ~w & kHigh) | has_zero_byte(w ^ 0x7F7F7F7F7F7F7F7Full);
  }
  return bad == 0;
}

inline bool printable3(std::string_view tag) {
  return tag.size() == 3 && is_printable(tag[0]) && is_printable(tag[1]) && is_printable(tag[2]);
}

}  // namespace

Record Record::from_view(const RecordView& view, const DecodeOptions& options, Diagnostics& diags, Encoding* chosen) {
  Record rec;
  const char* base = view.bytes().data();
  EncodingEvidence evidence;
  bool examined = false;
  const Encoding enc = options.raw ? (view.leader().declares_utf8() ? Encoding::Utf8 : Encoding::Marc8)
                                   : choose_encoding(view, options, diags, &evidence, &examined);
  if (chosen) *chosen = enc;
  // Values kept as bytes: every record's (raw), or those of a record read as MARC-8 (raw_marc8).
  const bool keep_bytes = options.raw || (options.raw_marc8 && enc == Encoding::Marc8);
  // Values of a record already checked as valid UTF-8 are copied without checking each again.
  const bool trusted = enc == Encoding::Utf8 && examined && evidence.valid_utf8;
  // A MARC-8 record with no byte above ASCII, no ESC and no '&' anywhere converts to itself:
  // one look at the whole record instead of one per value. The encoding check has already
  // looked for high bytes and ESC; only '&' is left to find.
  const bool plain_marc8 = enc == Encoding::Marc8 && examined && !evidence.has_high_bytes && !evidence.has_escape &&
                           std::memchr(base, '&', view.bytes().size()) == nullptr;
  // Every value of the record copies as it is (kept as bytes, or converting to itself).
  const bool copy_all = keep_bytes || plain_marc8;
  auto offset_of = [&](std::string_view part) { return view.offset() + static_cast<std::uint64_t>(part.data() - base); };
  // A value is only as valid as the record when the byte before it (a subfield code, an
  // indicator) is ASCII: otherwise that byte may have completed a sequence the value starts.
  auto copies_as_is = [&](std::string_view raw) {
    if (keep_bytes) return true;
    if (trusted && (raw.data() == base || static_cast<unsigned char>(raw.data()[-1]) < 0x80)) return true;
    return plain_marc8 || (enc == Encoding::Marc8 && is_marc8_passthrough(raw));
  };
  auto convert = [&](std::string_view raw, std::string& out, const std::string& tag, char code) {
    decode_value(raw, enc, options, out, diags, view.number(), offset_of(raw), tag, code);
  };
  auto decode = [&](std::string_view raw, std::string& out, const std::string& tag, char code) {
    if (copies_as_is(raw)) construct_into(out, raw);
    else convert(raw, out, tag, code);
  };
  if (const std::string_view leader = view.leader().bytes(); leader.size() == 24) [[likely]]
    construct_into(rec.leader_, leader);
  else
    rec.set_leader(leader);
  if (options.leader_utf8) rec.leader_[9] = 'a';
  // Stage 2 read non-digit indicator/subfield-code counts as "22" (and said so): keep it that way.
  for (std::size_t i : {std::size_t(10), std::size_t(11)})
    if (rec.leader_[i] < '0' || rec.leader_[i] > '9') rec.leader_[i] = '2';
  // The model is text: leader, tags and indicators that are not printable ASCII cannot be kept
  // as they are. Stage 2 has reported each; here they become a fixed character.
  if (!printable24(rec.leader_)) {
    for (std::size_t i = 0; i < rec.leader_.size(); ++i) {
      if (!is_printable(rec.leader_[i])) {
        const char standard = i >= 20 ? "4500"[i - 20] : ' ';
        diags.push_back({Severity::Warning, Code::LeaderUnusualValue, view.number(), view.offset() + i, {}, 0,
                         "leader/" + std::to_string(i) + " holds a byte that is not a character; written as '" +
                             std::string(1, standard) + "'"});
        rec.leader_[i] = standard;
      }
    }
  }
  rec.fields_.reserve(view.fields().size());
  const std::uint32_t indicators = view.indicator_count();

  // Delimiter positions of the current field.
  Positions delims;
  const char* const record_end = base + view.bytes().size();
  for (const auto& fv : view.fields()) {
    // Built in place: no temporary Field to move.
    Field& field = rec.fields_.emplace_back();
    if (fv.tag.size() == 3) [[likely]] {
      // Three bytes, known at compile time: no call to copy them.
      std::destroy_at(&field.tag_);
      std::construct_at(&field.tag_, std::size_t{3}, ' ');  // no allocation: three bytes fit in place
      std::memcpy(field.tag_.data(), fv.tag.data(), 3);
    } else {
      construct_into(field.tag_, fv.tag);
    }
    if (!printable3(field.tag_))
      for (char& c : field.tag_)
        if (!is_printable(c)) c = '?';
    const std::string& tag = field.tag_;
    if (fv.is_control()) {
      decode(fv.data, field.value_, tag, 0);
      continue;
    }
    field.control_ = false;
    std::string_view area;
    if (const std::string_view data = fv.data; indicators == 2 && data.size() >= 2 &&
                                               data[0] != kSubfieldDelimiter && data[1] != kSubfieldDelimiter) [[likely]] {
      // FieldView::indicator() and subfield_area() in their usual case, each test made once.
      field.ind1_ = printable_or(data[0], '?');
      field.ind2_ = printable_or(data[1], '?');
      area = std::string_view(data.data() + 2, data.size() - 2);
    } else {
      field.ind1_ = printable_or(fv.indicator(1), '?');
      field.ind2_ = printable_or(fv.indicator(2), '?');
      area = fv.subfield_area(indicators);
    }
    // Bytes readable from the area on: to the end of the record, when the area lies in it.
    const auto at = reinterpret_cast<std::uintptr_t>(area.data());
    const std::size_t readable = at >= reinterpret_cast<std::uintptr_t>(base) && at <= reinterpret_cast<std::uintptr_t>(record_end)
                                     ? static_cast<std::size_t>(record_end - area.data()) : 0;
    find_delimiters(area, readable, delims);
    const std::size_t count = delims.size();
    // Bytes before the first delimiter belong to no subfield: kept as leading data.
    if (const std::size_t first = count ? delims[0] : area.size(); first != 0) {
      const std::string_view stray(area.data(), first);
      decode(stray, field.leading_, tag, 0);
    }
    if (count == 0) continue;
    field.subfields_.reserve(count);
    // As FieldView's subfield iterator: a delimiter, a code (any byte, even a delimiter), then
    // the value up to the next delimiter after the code.
    std::size_t k = 0;
    while (k < count) {
      const std::size_t at = delims[k];
      const std::size_t code_at = at + 1;
      if (code_at == area.size()) {
        // A delimiter with nothing after it carries no data; say so instead of inventing a code.
        diags.push_back({Severity::Warning, Code::SubfieldCodeMissing, view.number(), offset_of(area) + at, tag, 0,
                         "field " + tag + " ends with a subfield delimiter and no subfield code; dropped"});
        break;
      }
      const char code = area[code_at];
      while (k < count && delims[k] <= code_at) ++k;
      const std::size_t end = k < count ? delims[k] : area.size();
      // In a record read as UTF-8, a code that is a character of more than one byte (typed where
      // a letter belonged: "\xC3\xA9", or U+FFFD left by an earlier conversion) is read whole, as
      // pymarc reads it: the value starts after it rather than with the rest of its bytes.
      std::size_t code_size = 1;
      if (enc == Encoding::Utf8 && !keep_bytes && static_cast<unsigned char>(code) >= 0xC2)
        if (const std::size_t n = utf8_sequence_length(reinterpret_cast<const unsigned char*>(area.data() + code_at), end - code_at); n > 1)
          code_size = n;
      const std::string_view value(area.data() + code_at + code_size, end - code_at - code_size);
      if (code == 0 && value.empty()) {
        // A NUL code and nothing else: read the same way as a delimiter that ends the field.
        diags.push_back({Severity::Warning, Code::SubfieldCodeMissing, view.number(), offset_of(area) + code_at, tag, 0,
                         "field " + tag + " ends with a subfield delimiter and no subfield code; dropped"});
        continue;
      }
      if (const auto c = static_cast<unsigned char>(code); c <= 0x20 || c >= 0x7F) {
        std::string bytes;
        for (std::size_t b = 0; b < code_size; ++b) bytes += (b ? " " : "") + stage2::hex_byte(area[code_at + b]);
        diags.push_back({Severity::Warning, Code::SubfieldCodeInvalid, view.number(), offset_of(area) + code_at, tag, 0,
                         "field " + tag + " has a subfield code that is not a printable character (" +
                             (code_size > 1 ? "the character \"" + std::string(area.substr(code_at, code_size)) + "\", bytes "
                                            : std::string("byte ")) +
                             bytes + (c >= 0x80 ? "); read as '?'" : ")")});
      }
      // Control characters as codes stay (writers escape them); bytes above ASCII cannot.
      Subfield& out = field.subfields_.emplace_back();
      out.code = static_cast<unsigned char>(code) >= 0x80 ? '?' : code;
      // The common case inline; conversion out of line.
      // copies_as_is(value), with what is known here: the byte before the value is the code.
      const bool as_is = copy_all || (trusted && static_cast<unsigned char>(code) < 0x80) ||
                         (enc == Encoding::Marc8 && is_marc8_passthrough(value));
      if (as_is) [[likely]] construct_into(out.value, value);
      else convert(value, out.value, tag, code);
    }
  }
  return rec;
}

namespace {

/// The bytes of a field, p[i, n), as decodes_as_is() checks them one at a time (the fallback
/// for records whose fields do not lie one after the other): a subfield delimiter followed by a
/// printable code is fine in a data field; any other structure byte, ESC (a MARC-8 escape,
/// evidence against UTF-8) and, read as MARC-8, any control character or byte above ASCII is
/// something the model changes or reports.
bool field_bytes_as_is(const char* p, std::size_t i, std::size_t n, bool control, bool ascii_only) {
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x80 && ascii_only) return false;
    if (c >= 0x20) continue;
    if (c == 0x1F && !control) {
      if (i + 1 == n) return false;
      const auto code = static_cast<unsigned char>(p[i + 1]);
      if (code <= 0x20 || code >= 0x7F) return false;
      ++i;
      continue;
    }
    if (c == 0x1F || c == 0x1E || c == 0x1D || c == 0x1B || ascii_only) return false;
  }
  return true;
}

#if defined(__SSE2__)
/// Whether any byte of `s` is above ASCII: sixteen at a time.
bool has_high_byte(std::string_view s) {
  std::size_t i = 0;
  for (; i + 16 <= s.size(); i += 16)
    if (_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i))) != 0) return true;
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return true;
  return false;
}
#endif

/// decodes_as_is()'s byte checks in one pass over a record whose fields are in one piece
/// (RecordView::fields_in_one_piece()): from the first field's first byte to the record's end,
/// sixteen bytes at a time (SSE2). The fields' own checks (tags, indicators, no delimiter in a
/// control field) are made before. What is checked here, the bytes after the last field's
/// terminator taking part only in the encoding checks (as choose_encoding() sees them):
///   - field and record terminators only where the directory puts the fields' terminators;
///   - each subfield delimiter followed by a printable code (0x21-0x7E);
///   - no ESC; read as MARC-8, no other control character in a field, no byte above ASCII, and
///     in the fields no DEL and no "&#" (a character reference);
///   - read as UTF-8, the bytes above ASCII form valid sequences.
#if defined(__SSE2__)
bool body_as_is(const RecordView& view, bool ascii_only) {
  const std::string_view bytes = view.bytes();
  // parse() may have counted them already (one per field, none inside): then not again.
  const bool count_terminators = !view.only_field_terminators();
  const auto& fields = view.fields();
  const std::size_t size = bytes.size();
  const FieldView& last = fields.back();
  const std::size_t tail = std::size_t{last.offset} + last.data.size() + 1;  // past the last terminator
  std::size_t checked = 0;  // the bytes before this are valid UTF-8 (a sequence may cross blocks)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7F);
  const __m128i delimiter = _mm_set1_epi8(kSubfieldDelimiter);
  const __m128i field_end = _mm_set1_epi8(kFieldTerminator);
  const __m128i record_end = _mm_set1_epi8(kRecordTerminator);
  const __m128i escape = _mm_set1_epi8(0x1B);
  const __m128i amp = _mm_set1_epi8('&');
  const __m128i hash = _mm_set1_epi8('#');
  const __m128i one = _mm_set1_epi8(1);
  __m128i terminators = _mm_setzero_si128();  // how many field and record terminators, two sums
  auto mask = [](__m128i m) { return static_cast<unsigned>(_mm_movemask_epi8(m)); };
  // A block with a byte below 0x20 or above ASCII; `mine` marks the record's bytes in it.
  auto check = [&](const __m128i w, const std::size_t i, const unsigned mine, const unsigned high,
                   const unsigned below) __attribute__((always_inline)) {
    if (below != 0) {
      if (mask(_mm_cmpeq_epi8(w, escape)) & mine) return false;
      // (The last block's bytes past the record are 'a': never a terminator.)
      const __m128i structure = _mm_or_si128(_mm_cmpeq_epi8(w, field_end), _mm_cmpeq_epi8(w, record_end));
      if (count_terminators)
        terminators = _mm_add_epi64(terminators, _mm_sad_epu8(_mm_and_si128(structure, one), _mm_setzero_si128()));
      const unsigned in_fields = i + 16 <= tail ? 0xFFFFu : tail > i ? (1u << (tail - i)) - 1 : 0u;
      const unsigned delimiters = mask(_mm_cmpeq_epi8(w, delimiter)) & in_fields;
      if (delimiters != 0) {
        const unsigned codes = mask(_mm_and_si128(_mm_cmpgt_epi8(w, space), _mm_cmplt_epi8(w, del))) & mine;
        unsigned bad = delimiters & ~(codes >> 1);
        // A delimiter that ends the block: its code is the first byte of the next one.
        if ((bad & 0x8000u) != 0 && i + 16 < size && static_cast<unsigned char>(bytes[i + 16]) > 0x20 &&
            static_cast<unsigned char>(bytes[i + 16]) < 0x7F)
          bad &= 0x7FFFu;
        if (bad != 0) return false;
      }
      if (ascii_only && (below & in_fields & ~mask(structure) & ~delimiters) != 0) return false;
    }
    if (high != 0) {
      if (ascii_only) return false;
      // Each run of bytes above ASCII not checked yet, as far as it goes (past this block too).
      for (std::size_t j = std::max(i, checked); j < i + 16;) {
        const unsigned rest = high & ~((1u << (j - i)) - 1);
        if (rest == 0) break;
        checked = skip_utf8_sequences(bytes, i + static_cast<std::size_t>(std::countr_zero(rest)));
        if (checked == std::string_view::npos) return false;
        j = checked;
      }
    }
    return true;
  };
  // Read as MARC-8, in the fields: DEL has no character, and "&#" starts a character reference
  // that MARC-8 reads as the character it names (a field's last byte and the next field's first
  // are never neighbours: a terminator lies between).
  bool amp_at_end = false;  // the previous block's last byte in the fields was '&'
  auto marc8_specials = [&](const __m128i w, const std::size_t i, const unsigned mine) __attribute__((always_inline)) {
    const unsigned in_fields = (i + 16 <= tail ? 0xFFFFu : tail > i ? (1u << (tail - i)) - 1 : 0u) & mine;
    const unsigned amps = mask(_mm_cmpeq_epi8(w, amp)) & in_fields;
    const unsigned hashes = mask(_mm_cmpeq_epi8(w, hash)) & in_fields;
    if ((mask(_mm_cmpeq_epi8(w, del)) & in_fields) != 0) return false;
    if ((amps & (hashes >> 1)) != 0 || (amp_at_end && (hashes & 1u) != 0)) return false;
    amp_at_end = (amps & 0x8000u) != 0;
    return true;
  };
  std::size_t i = fields.front().offset;
  for (; size - i >= 16; i += 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data() + i));
    const unsigned high = mask(w);
    // Signed compare: bytes above ASCII are negative, so "below 0x20" too; `high` takes them out.
    const unsigned below = mask(_mm_cmplt_epi8(w, space)) & ~high;
    if ((below | high) != 0 && !check(w, i, 0xFFFFu, high, below)) return false;
    if (ascii_only && !marc8_specials(w, i, 0xFFFFu)) return false;
  }
  if (i < size) {
    char last_block[16];
    std::memset(last_block, 'a', sizeof last_block);
    std::memcpy(last_block, bytes.data() + i, size - i);
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(last_block));
    const unsigned mine = (1u << (size - i)) - 1;
    const unsigned high = mask(w) & mine;
    const unsigned below = mask(_mm_cmplt_epi8(w, space)) & mine & ~high;
    if ((below | high) != 0 && !check(w, i, mine, high, below)) return false;
    if (ascii_only && !marc8_specials(w, i, mine)) return false;
  }
  // The terminators counted are the fields' (each in its place: fields_in_one_piece()) and
  // those after the last field's: none inside a field.
  if (!count_terminators) return true;
  std::size_t after = 0;
  for (std::size_t t = tail; t < size; ++t) after += bytes[t] == kFieldTerminator || bytes[t] == kRecordTerminator;
  std::uint64_t sums[2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(sums), terminators);
  return sums[0] + sums[1] == fields.size() + after;
}
#endif

#if defined(MARCSCOPE_AVX2_PATH)
/// body_as_is() thirty-two bytes at a time, for processors with AVX2 (chosen at run time: the
/// build targets baseline x86-64). The same checks, block for block; test_view_writer runs both
/// (MARCSCOPE_SIMD=sse2 keeps to the SSE2 one).
__attribute__((target("avx2"))) bool body_as_is_avx2(const RecordView& view, bool ascii_only) {
  const std::string_view bytes = view.bytes();
  const bool count_terminators = !view.only_field_terminators();
  const auto& fields = view.fields();
  const std::size_t size = bytes.size();
  const FieldView& last = fields.back();
  const std::size_t tail = std::size_t{last.offset} + last.data.size() + 1;  // past the last terminator
  std::size_t checked = 0;  // the bytes before this are valid UTF-8 (a sequence may cross blocks)
  constexpr std::uint32_t kAll = 0xFFFFFFFFu, kLastLane = 0x80000000u;
  const __m256i space = _mm256_set1_epi8(0x20);
  const __m256i del = _mm256_set1_epi8(0x7F);
  const __m256i delimiter = _mm256_set1_epi8(kSubfieldDelimiter);
  const __m256i field_end = _mm256_set1_epi8(kFieldTerminator);
  const __m256i record_end = _mm256_set1_epi8(kRecordTerminator);
  const __m256i escape = _mm256_set1_epi8(0x1B);
  const __m256i amp = _mm256_set1_epi8('&');
  const __m256i hash = _mm256_set1_epi8('#');
  const __m256i one = _mm256_set1_epi8(1);
  __m256i terminators = _mm256_setzero_si256();  // how many field and record terminators, four sums
  auto mask = [](__m256i m) __attribute__((always_inline, target("avx2"))) {
    return static_cast<std::uint32_t>(_mm256_movemask_epi8(m));
  };
  auto in_fields_of = [&](std::size_t i) __attribute__((always_inline)) {
    return i + 32 <= tail ? kAll : tail > i ? (1u << (tail - i)) - 1 : 0u;
  };
  auto check = [&](const __m256i w, const std::size_t i, const std::uint32_t mine, const std::uint32_t high,
                   const std::uint32_t below) __attribute__((always_inline, target("avx2"))) {
    if (below != 0) {
      if (mask(_mm256_cmpeq_epi8(w, escape)) & mine) return false;
      const __m256i structure = _mm256_or_si256(_mm256_cmpeq_epi8(w, field_end), _mm256_cmpeq_epi8(w, record_end));
      if (count_terminators)
        terminators =
            _mm256_add_epi64(terminators, _mm256_sad_epu8(_mm256_and_si256(structure, one), _mm256_setzero_si256()));
      const std::uint32_t in_fields = in_fields_of(i);
      const std::uint32_t delimiters = mask(_mm256_cmpeq_epi8(w, delimiter)) & in_fields;
      if (delimiters != 0) {
        const std::uint32_t codes =
            mask(_mm256_and_si256(_mm256_cmpgt_epi8(w, space), _mm256_cmpgt_epi8(del, w))) & mine;
        std::uint32_t bad = delimiters & ~(codes >> 1);
        if ((bad & kLastLane) != 0 && i + 32 < size && static_cast<unsigned char>(bytes[i + 32]) > 0x20 &&
            static_cast<unsigned char>(bytes[i + 32]) < 0x7F)
          bad &= ~kLastLane;
        if (bad != 0) return false;
      }
      if (ascii_only && (below & in_fields & ~mask(structure) & ~delimiters) != 0) return false;
    }
    if (high != 0) {
      if (ascii_only) return false;
      for (std::size_t j = std::max(i, checked); j < i + 32;) {
        const std::uint32_t rest = high & ~((1u << (j - i)) - 1);
        if (rest == 0) break;
        checked = skip_utf8_sequences(bytes, i + static_cast<std::size_t>(std::countr_zero(rest)));
        if (checked == std::string_view::npos) return false;
        j = checked;
      }
    }
    return true;
  };
  bool amp_at_end = false;  // the previous block's last byte in the fields was '&'
  auto marc8_specials = [&](const __m256i w, const std::size_t i, const std::uint32_t mine)
                            __attribute__((always_inline, target("avx2"))) {
    const std::uint32_t in_fields = in_fields_of(i) & mine;
    const std::uint32_t amps = mask(_mm256_cmpeq_epi8(w, amp)) & in_fields;
    const std::uint32_t hashes = mask(_mm256_cmpeq_epi8(w, hash)) & in_fields;
    if ((mask(_mm256_cmpeq_epi8(w, del)) & in_fields) != 0) return false;
    if ((amps & (hashes >> 1)) != 0 || (amp_at_end && (hashes & 1u) != 0)) return false;
    amp_at_end = (amps & kLastLane) != 0;
    return true;
  };
  std::size_t i = fields.front().offset;
  for (; size - i >= 32; i += 32) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes.data() + i));
    const std::uint32_t high = mask(w);
    const std::uint32_t below = mask(_mm256_cmpgt_epi8(space, w)) & ~high;
    if ((below | high) != 0 && !check(w, i, kAll, high, below)) return false;
    if (ascii_only && !marc8_specials(w, i, kAll)) return false;
  }
  if (i < size) {
    char last_block[32];
    std::memset(last_block, 'a', sizeof last_block);
    std::memcpy(last_block, bytes.data() + i, size - i);
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(last_block));
    const std::uint32_t mine = (1u << (size - i)) - 1;
    const std::uint32_t high = mask(w) & mine;
    const std::uint32_t below = mask(_mm256_cmpgt_epi8(space, w)) & mine & ~high;
    if ((below | high) != 0 && !check(w, i, mine, high, below)) return false;
    if (ascii_only && !marc8_specials(w, i, mine)) return false;
  }
  if (!count_terminators) return true;
  std::size_t after = 0;
  for (std::size_t t = tail; t < size; ++t) after += bytes[t] == kFieldTerminator || bytes[t] == kRecordTerminator;
  std::uint64_t sums[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums), terminators);
  return sums[0] + sums[1] + sums[2] + sums[3] == fields.size() + after;
}

/// Whether body_as_is_avx2() may run here: the processor has AVX2, and MARCSCOPE_SIMD does not
/// say "sse2" (to test, or to compare, the baseline path). Decided once per process.
bool use_avx2() {
  static const bool yes = [] {
    __builtin_cpu_init();
    const char* simd = std::getenv("MARCSCOPE_SIMD");
    return __builtin_cpu_supports("avx2") && !(simd != nullptr && std::strcmp(simd, "sse2") == 0);
  }();
  return yes;
}
#endif

/// decodes_as_is()'s conditions on the leader and the options, which transcode_marc8_as_is()
/// shares: a printable 24-byte leader with leader/10-11 "22" and two indicators, nothing kept
/// raw, and under a leader that does not say UTF-8 the model's leader/09 becoming 'a' (as the
/// view writers write it).
bool leader_and_options_as_is(const RecordView& view, const DecodeOptions& options) {
  const std::string_view leader = view.leader().bytes();
  if (leader.size() != 24 || leader[10] != '2' || leader[11] != '2') return false;
  if (leader[9] != 'a' && (!options.leader_utf8 || options.raw_marc8)) return false;
  if (options.raw || view.indicator_count() != 2) return false;
  // from_view trusts a record's values only when choose_encoding examined them (else it checks
  // each value, and may change it).
  if (options.encoding == EncodingChoice::ForceMarc8 || options.encoding == EncodingChoice::ForceUtf8) return false;
  if (options.encoding == EncodingChoice::FromLeader && !options.detect_leader_lies) return false;
  return printable24(leader);
}

/// The shape decodes_as_is() and transcode_marc8_as_is() ask of a field: a printable three-byte
/// tag; a control field without a delimiter; a data field with two printable indicators and,
/// after them, nothing before its first delimiter.
__attribute__((always_inline)) inline bool field_shape_as_is(const FieldView& fv) {
  if (!printable3(fv.tag)) return false;
  const std::string_view data = fv.data;
  if (fv.is_control()) return std::memchr(data.data(), kSubfieldDelimiter, data.size()) == nullptr;
  return data.size() >= 2 && is_printable(data[0]) && is_printable(data[1]) &&
         (data.size() == 2 || data[2] == kSubfieldDelimiter);
}

}  // namespace

bool decodes_as_is(const RecordView& view, const DecodeOptions& options, Encoding* encoding) {
  if (!leader_and_options_as_is(view, options)) return false;
  // Under a leader that does not say UTF-8 only plain ASCII qualifies (MARC-8's default set).
  const bool ascii_only = view.leader().bytes()[9] != 'a';
  const std::string_view bytes = view.bytes();
#if defined(__SSE2__)
  // Read as MARC-8, a byte above ASCII anywhere from the first field on turns down a record in
  // one piece (body_as_is() would): most MARC-8 records that are not plain ASCII, spared the
  // fields' own checks.
  if (ascii_only && !view.fields().empty() && has_high_byte(bytes.substr(view.fields().front().offset)) &&
      view.fields_in_one_piece())
    return false;
#endif
  // from_view copies a control field as it is when the byte before it is ASCII.
  auto control_as_is = [&](const FieldView& fv) {
    const char* const p = fv.data.data();
    return p == bytes.data() || static_cast<unsigned char>(p[-1]) < 0x80;
  };
  if (view.tags_and_indicators_plain()) {
    // parse() has checked the tags and the data fields' indicators (letters, digits and blanks
    // are printable): only the control fields are left to look at (one loop per case: this runs
    // for every field of every record).
    for (const auto& fv : view.fields())
      if (fv.is_control() && (!field_shape_as_is(fv) || !control_as_is(fv))) return false;
  } else {
    for (const auto& fv : view.fields())
      if (!field_shape_as_is(fv) || (fv.is_control() && !control_as_is(fv))) return false;
  }
  // Read as MARC-8: DEL has no character, and "&#xHHHH;" is read as the character it names
  // (LoC's lossless conversion). Looked for last (here, for records not in one piece; else by
  // body_as_is()): a record with a byte above ASCII (most MARC-8 records that are not plain
  // ASCII) is turned down by the byte checks first.
  auto no_marc8_specials = [&] {
    for (const auto& fv : view.fields())
      if (fv.data.find('\x7F') != std::string_view::npos || fv.data.find("&#") != std::string_view::npos) return false;
    return true;
  };
#if defined(__SSE2__)
  // Fields in one piece (nearly every record): one pass over the record's bytes from the first
  // field on checks everything (body_as_is); else each field is checked and choose_encoding()
  // has the last word.
  if (view.fields_in_one_piece()) {
    // The bytes choose_encoding() examines are those body_as_is() checks: valid UTF-8 (or ASCII)
    // and no ESC means no diagnostic and the leader's encoding.
    // (Read as MARC-8, body_as_is() also looks for DEL and "&#".)
#if defined(MARCSCOPE_AVX2_PATH)
    if (!(use_avx2() ? body_as_is_avx2(view, ascii_only) : body_as_is(view, ascii_only))) return false;
#else
    if (!body_as_is(view, ascii_only)) return false;
#endif
    if (encoding) *encoding = ascii_only ? Encoding::Marc8 : Encoding::Utf8;
    return true;
  }
#endif
  for (const auto& fv : view.fields())
    if (!field_bytes_as_is(fv.data.data(), fv.is_control() ? 0 : 2, fv.data.size(), fv.is_control(), ascii_only))
      return false;
  if (ascii_only && !no_marc8_specials()) return false;
  Diagnostics none;
  EncodingEvidence evidence;
  bool examined = false;
  const Encoding enc = choose_encoding(view, options, none, &evidence, &examined);
  if (!examined || !none.empty() || evidence.has_escape) return false;
  const bool as_is = ascii_only ? enc == Encoding::Marc8 && !evidence.has_high_bytes
                                : enc == Encoding::Utf8 && evidence.valid_utf8;
  if (as_is && encoding) *encoding = enc;
  return as_is;
}

namespace {

/// Whether a subfield area is plain: each delimiter followed by a printable code, and every
/// other byte printable ASCII but '&' and DEL (is_marc8_plain_ascii()), so that MARC-8 reads each
/// value as it is. Eight bytes at a time: a delimiter is let through the byte test by turning it
/// into a blank first, then each is checked where it is. Bytes up to `limit` (at or after the
/// area's end) may be read, and are not looked at.
bool is_marc8_plain_subfields(std::string_view area, [[maybe_unused]] const char* limit) {
  using namespace detail;
  const char* p = area.data();
  const std::size_t n = area.size();
#if defined(__SSE2__)
  // Sixteen bytes at a time: after the byte test, the only bytes a code may not be are a blank and
  // a delimiter, so each delimiter is checked against the next byte's lane (or the next block's
  // first byte).
  if (n == 0) return true;
  if (p[n - 1] == kSubfieldDelimiter) return false;  // a delimiter with no code
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i delimiter = _mm_set1_epi8(kSubfieldDelimiter);
  const __m128i amp = _mm_set1_epi8('&');
  const __m128i del = _mm_set1_epi8(0x7F);
  auto mask = [](__m128i m) { return static_cast<unsigned>(_mm_movemask_epi8(m)); };
  bool code_next = false;  // the previous block ended with a delimiter
  for (std::size_t i = 0; i < n; i += 16) {
    __m128i w;
    unsigned lanes = 0xFFFFu;  // the lanes that hold the area's bytes
    if (n - i >= 16) {
      w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    } else if (limit - (p + i) >= 16) {
      // The last block, read in place: the bytes after the area are masked off.
      w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      lanes = (1u << (n - i)) - 1;
    } else {
      char last[16];
      std::memset(last, 'a', sizeof last);
      std::memcpy(last, p + i, n - i);
      w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(last));
    }
    // Signed compares: a byte above ASCII is negative, so "below a blank" too.
    const unsigned delims = mask(_mm_cmpeq_epi8(w, delimiter)) & lanes;
    const unsigned bad = ((mask(_mm_cmplt_epi8(w, space)) & ~delims) | mask(_mm_cmpeq_epi8(w, amp)) |
                          mask(_mm_cmpeq_epi8(w, del))) &
                         lanes;
    if (bad != 0) return false;
    const unsigned not_code = delims | mask(_mm_cmpeq_epi8(w, space));
    if (code_next && (not_code & 1u)) return false;
    if (((delims << 1) & not_code & 0xFFFFu) != 0) return false;
    code_next = (delims & 0x8000u) != 0;
  }
  return true;
#else
  auto bad = [](std::uint64_t w) {
    // Delimiters (0x1F) become blanks (0x1F ^ 0x3F = 0x20): exact per byte, as no other byte
    // of a good word is below 0x20 and a bad word is bad either way.
    const std::uint64_t d = w ^ 0x1F1F1F1F1F1F1F1Full;
    const std::uint64_t delim = ~(((d & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | d) & kHigh;
    w ^= (delim >> 7) * 0x3F;
    return (w & kHigh) | ((w - 0x2020202020202020ull) & ~w & kHigh) | has_zero_byte(w ^ 0x7F7F7F7F7F7F7F7Full) |
           has_zero_byte(w ^ 0x2626262626262626ull);
  };
  if (!no_byte(area, 0x2020202020202020ull, bad)) return false;
  for (const char* d = static_cast<const char*>(std::memchr(p, kSubfieldDelimiter, n)); d != nullptr;
       d = static_cast<const char*>(std::memchr(d + 1, kSubfieldDelimiter, static_cast<std::size_t>(p + n - d - 1)))) {
    if (d + 1 == p + n) return false;
    const auto code = static_cast<unsigned char>(d[1]);
    if (code <= 0x20 || code >= 0x7F) return false;
  }
  return true;
#endif
}

/// A byte from_view() would not keep as text in a value: ESC, a delimiter or a terminator
/// (0x1B-0x1F).
bool has_structure_byte(const char* p, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time: a byte b is one of them when b - 0x1B (wrapping) is at most 4.
  const __m128i first = _mm_set1_epi8(0x1B);
  const __m128i four = _mm_set1_epi8(4);
  const __m128i zero = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i w = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), first);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(w, four), zero)) != 0) return true;
  }
#endif
  for (; i < n; ++i)
    if (const auto c = static_cast<unsigned char>(p[i]); c >= 0x1B && c <= 0x1F) return true;
  return false;
}

}  // namespace

bool transcode_marc8_as_is(const RecordView& view, const DecodeOptions& options, std::string& out,
                           RecordView& transcoded) {
  // decodes_as_is()'s conditions on the leader and the options, under a leader that does not say
  // UTF-8 (and, below, on each field's shape).
  if (!leader_and_options_as_is(view, options)) return false;
  const std::string_view leader = view.leader().bytes();
  if (leader[9] == 'a') return false;
  const auto& fields = view.fields();
  if (fields.empty()) return false;
  // The encoding from_view() would choose, with nothing to say about it: MARC-8.
  Diagnostics diags;
  EncodingEvidence evidence;
  bool examined = false;
  if (choose_encoding(view, options, diags, &evidence, &examined) != Encoding::Marc8 || !examined || !diags.empty())
    return false;

  // The fields' data as from_view() decodes it, value by value, after room for the leader and
  // the directory; each field's place noted in the view to be (start_layout()).
  const std::size_t base = 24 + 12 * fields.size() + 1;
  out.clear();
  out.reserve(base + view.bytes().size() + view.bytes().size() / 4 + 16);
  out.resize(base);
  std::vector<FieldView>& laid_out = transcoded.start_layout();
  laid_out.reserve(fields.size());
  // One value as from_view() reads it (copied when MARC-8 reads it as it is, else converted),
  // where that says nothing and gives text: valid UTF-8 with no byte that would be read as
  // structure (a numeric character reference may name one; a value copied may hold one).
  auto value = [&](std::string_view raw, std::string_view tag, char code) {
    if (is_marc8_plain_ascii(raw)) {
      out.append(raw);
      return true;
    }
    // decode_value() copies a value MARC-8 passes through (is_marc8_passthrough(): no byte above
    // ASCII), else converts it: marc8_to_utf8() writes only ASCII it read and characters it
    // encodes, so what it gives is valid UTF-8 (test_view_writer checks every form made against
    // decodes_as_is(), which looks).
    const std::size_t from = out.size();
    const std::uint64_t at = view.offset() + static_cast<std::uint64_t>(raw.data() - view.bytes().data());
    decode_value(raw, Encoding::Marc8, options, out, diags, view.number(), at, tag, code);
    return diags.empty() && !has_structure_byte(out.data() + from, out.size() - from);
  };
  std::size_t pos = 0;  // where the current field starts in the data area
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const FieldView& fv = fields[f];
    if (!field_shape_as_is(fv)) return false;
    const std::string_view data = fv.data;
    if (fv.is_control()) {
      if (!value(data, fv.tag, 0)) return false;
    } else {
      // Each delimiter is followed by a printable code, then the value up to the next delimiter.
      // A field with nothing but such subfields and plain ASCII is copied in one piece.
      bool plain = is_marc8_plain_subfields(data.substr(2), view.bytes().data() + view.bytes().size());
      for (std::size_t i = 2; i < data.size() && !plain;) {
        const void* next = std::memchr(data.data() + i + 1, kSubfieldDelimiter, data.size() - i - 1);
        const std::size_t end = next ? static_cast<std::size_t>(static_cast<const char*>(next) - data.data()) : data.size();
        // data[i] is a delimiter: the code and the value follow, up to `end`.
        if (end == i + 1) return false;
        const auto code = static_cast<unsigned char>(data[i + 1]);
        if (code <= 0x20 || code >= 0x7F) return false;
        if (i == 2) out.append(data.data(), 2);
        out.append(data.data() + i, 2);
        if (!value(data.substr(i + 2, end - i - 2), fv.tag, static_cast<char>(code))) return false;
        i = end;
      }
      if (plain) out.append(data);
    }
    out.push_back(kFieldTerminator);
    const std::size_t length = out.size() - base - pos;
    if (length > 9999) return false;
    detail::put_entry(out.data() + 24 + 12 * f, fv.tag.data(), length, pos);
    laid_out.push_back(FieldView{{}, {}, static_cast<std::uint32_t>(base + pos)});
    pos += length;
  }
  out.push_back(kRecordTerminator);
  if (out.size() > 99999) return false;
  out[base - 1] = kFieldTerminator;
  // The model keeps the leader as read but for leader/09: its record length and base address
  // too (only the ISO 2709 writers compute them).
  std::memcpy(out.data(), leader.data(), 24);
  out[9] = 'a';
  transcoded.finish_layout(out, view.offset(), view.number());
  return true;
}

}  // namespace marcscope
