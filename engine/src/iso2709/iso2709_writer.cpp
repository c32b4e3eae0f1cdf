#include "marcscope/iso2709/iso2709_writer.h"

#include <cstring>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "formats/format_support.h"
#include "iso2709/digits.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/iso2709/record_view.h"

namespace marcscope {
namespace {

using detail::is_structure_byte;

std::size_t field_length(const Field& f) {
  if (f.is_control()) return f.value().size() + 1;
  std::size_t n = 2 + f.leading_data().size() + 1;
  for (const auto& s : f.subfields()) n += 2 + s.value.size();
  return n;
}

/// True when no byte of `s` is below 0x20 or above 0x7F: eight bytes at a time.
bool printable_ascii(std::string_view s) {
  using namespace detail;
  return no_byte(s, 0x2020202020202020ull, [](std::uint64_t w) { return (w | ((w - 0x2020202020202020ull) & ~w)) & kHigh; });
}

bool has_structure_byte(std::string_view s) {
  for (const char c : s)
    if (is_structure_byte(static_cast<unsigned char>(c))) return true;
  return false;
}

/// A value the writer can copy as it is: no structure byte, and UTF-8 when the values are.
bool value_ok(std::string_view v, bool utf8) {
  if (printable_ascii(v)) return true;
  return !has_structure_byte(v) && (!utf8 || is_valid_utf8(v));
}

/// One look at written bytes: how many 0x1D-0x1F they hold, and whether any is above ASCII.
struct Census {
  std::size_t structure = 0;
  bool high = false;
};

/// Sixteen bytes at a time (SSE2; a byte loop elsewhere).
Census census(std::string_view s) {
  Census c;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i low = _mm_set1_epi8(0x1D), top = _mm_set1_epi8(2), zero = _mm_setzero_si128();
  __m128i high = zero;
  // Hits are counted per byte lane (255 blocks at most before a lane could wrap), then summed.
  auto sum = [&](__m128i lanes) {
    const __m128i halves = _mm_sad_epu8(lanes, zero);
    c.structure += static_cast<std::size_t>(_mm_cvtsi128_si32(halves)) +
                   static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_srli_si128(halves, 8)));
  };
  while (i + 16 <= s.size()) {
    __m128i lanes = zero;
    for (int k = 0; k < 255 && i + 16 <= s.size(); ++k, i += 16) {
      const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      high = _mm_or_si128(high, w);
      // w - 0x1D is 0..2 (unsigned) exactly for the three structure bytes.
      const __m128i v = _mm_sub_epi8(w, low);
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(_mm_min_epu8(v, top), v));
    }
    sum(lanes);
  }
  c.high = _mm_movemask_epi8(high) != 0;
#endif
  for (; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    c.structure += is_structure_byte(b);
    c.high = c.high || b >= 0x80;
  }
  return c;
}

/// A copy of `record` with nothing the writer must not write, with a diagnostic for each thing changed.
Record cleaned(const Record& record, bool utf8, Diagnostics& diags, std::uint64_t number, std::uint64_t offset) {
  auto value = [&](const std::string& v, const std::string& tag, char code) {
    if (value_ok(v, utf8)) return v;
    std::string out;
    detail::EscapeProblems p;
    if (utf8) {
      detail::append_clean_text(v, out, p);
      detail::report_escape_problems(p, "ISO 2709", number, offset, tag, code, diags);
      return out;
    }
    // MARC-8 bytes: a structure byte becomes '?' (LoC's fallback for what cannot be written).
    out = v;
    for (char& c : out) {
      if (!is_structure_byte(static_cast<unsigned char>(c))) continue;
      p.structure.add(static_cast<unsigned char>(c));
      c = '?';
    }
    diags.push_back(detail::structure_bytes_diagnostic(p.structure, number, offset, tag, code, "written as '?'"));
    return out;
  };
  auto one = [](char c, detail::StructureBytes& found) {
    if (!is_structure_byte(static_cast<unsigned char>(c))) return c;
    found.add(static_cast<unsigned char>(c));
    return '?';
  };

  Record out;
  std::string leader = record.leader();
  detail::StructureBytes in_leader;
  const bool leader_utf8 = !utf8 || is_valid_utf8(leader);
  std::size_t broken = 0;
  for (char& c : leader) {
    const auto b = static_cast<unsigned char>(c);
    if (is_structure_byte(b)) {
      in_leader.add(b);
      c = ' ';
    } else if (b >= 0x80 && !leader_utf8) {
      ++broken;
      c = ' ';
    }
  }
  if (in_leader.count)
    diags.push_back({Severity::Warning, Code::StructureByteInData, number, offset, "LDR", 0,
                     "the leader holds " + detail::structure_byte_name(in_leader.first) + "; written as a blank"});
  if (broken)
    diags.push_back({Severity::Warning, Code::InvalidUtf8, number, offset, "LDR", 0,
                     std::to_string(broken) + " byte(s) of the leader are not UTF-8; written as blanks"});
  out.set_leader(leader);
  out.fields().reserve(record.fields().size());
  for (const auto& f : record.fields()) {
    detail::StructureBytes odd;
    std::string tag = f.tag();
    for (char& c : tag) c = one(c, odd);
    if (f.is_control()) {
      out.add_field(Field(tag, value(f.value(), tag, 0)));
    } else {
      Field nf(tag, one(f.indicator1(), odd), one(f.indicator2(), odd), {});
      nf.set_leading_data(value(f.leading_data(), tag, 0));
      nf.subfields().reserve(f.subfields().size());
      for (const auto& s : f.subfields()) nf.add_subfield(one(s.code, odd), value(s.value, tag, s.code));
      out.add_field(std::move(nf));
    }
    if (odd.count)
      diags.push_back({Severity::Warning, Code::StructureByteInData, number, offset, tag, 0,
                       "field " + detail::printable(tag) + " has " + detail::structure_byte_name(odd.first) +
                           " in its tag, indicators or a subfield code; written as '?'"});
  }
  return out;
}

/// `leader_09`: what leader/09 becomes ('a', ' '), or 0 to keep it; `keep_leader`: leader/10-11
/// and 20-23 as the record has them.
void write_clean(const Record& record, std::string& out, char leader_09, bool keep_leader) {
  const auto& fields = record.fields();
  const std::size_t base = 24 + 12 * fields.size() + 1;
  std::size_t data_size = 0;
  for (const auto& f : fields) {
    if (f.tag().size() != 3) throw std::invalid_argument("field tag \"" + f.tag() + "\" is not 3 characters");
    const std::size_t len = field_length(f);
    if (len > 9999) throw std::length_error("field " + f.tag() + " is " + std::to_string(len) + " bytes; ISO 2709 allows 9,999");
    data_size += len;
  }
  const std::size_t total = base + data_size + 1;
  if (total > 99999) throw std::length_error("record is " + std::to_string(total) + " bytes; ISO 2709 allows 99,999");

  const std::size_t start = out.size();
  out.reserve(start + total);
  out.append(record.leader());
  char* o = out.data() + start;
  detail::put_digits5(o, total);
  detail::put_digits5(o + 12, base);
  if (leader_09) o[9] = leader_09;
  // Two indicators and one-character codes, directory entries of 4 + 5 digits: what is written.
  if (!keep_leader) {
    std::memcpy(o + 10, "22", 2);
    std::memcpy(o + 20, "4500", 4);
  }

  std::size_t pos = 0;
  for (const auto& f : fields) {
    const std::size_t len = field_length(f);
    char e[12];
    detail::put_entry(e, f.tag().data(), len, pos);
    out.append(e, 12);
    pos += len;
  }
  out.push_back(kFieldTerminator);
  for (const auto& f : fields) {
    if (f.is_control()) {
      out.append(f.value());
    } else {
      out.push_back(f.indicator1());
      out.push_back(f.indicator2());
      out.append(f.leading_data());
      for (const auto& s : f.subfields()) {
        out.push_back(kSubfieldDelimiter);
        out.push_back(s.code);
        out.append(s.value);
      }
    }
    out.push_back(kFieldTerminator);
  }
  out.push_back(kRecordTerminator);
}

}  // namespace

void write_iso2709(const Record& record, std::string& out, Diagnostics& diags, std::uint64_t number,
                   std::uint64_t offset, const Iso2709WriteOptions& options) {
  // Written as it is, then checked in one pass over the bytes (two for non-ASCII UTF-8): the structure bytes are exactly
  // the ones written (a terminator per field and the directory, a delimiter per subfield, the
  // record terminator), and with UTF-8 values the record is UTF-8. Cheaper than a look at each
  // value, and every record but a broken one passes.
  const std::size_t start = out.size();
  const bool utf8 = options.utf8 && !options.raw;
  const char leader_09 = options.raw ? 0 : utf8 ? 'a' : ' ';
  write_clean(record, out, leader_09, options.keep_leader);
  std::size_t expected = 2 + record.fields().size();
  for (const auto& f : record.fields()) expected += f.subfields().size();
  const std::string_view written = std::string_view(out).substr(start);
  const Census c = census(written);
  if (c.structure == expected && (!utf8 || !c.high || is_valid_utf8(written))) return;
  out.resize(start);
  // Rare: diagnostics only once the record is known to fit, so a record that is not written is
  // reported for that alone.
  Diagnostics found;
  const Record fixed = cleaned(record, utf8, found, number, offset);
  write_clean(fixed, out, leader_09, options.keep_leader);
  diags.insert(diags.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

void write_iso2709(const Record& record, std::string& out) {
  Diagnostics ignored;
  write_iso2709(record, out, ignored, 0, 0);
}

bool write_iso2709_view(const RecordView& view, std::string& out) {
  // write_clean's layout, with each field's data as it is: decodes_as_is() has checked that the
  // model would hold exactly these bytes (indicators, then a delimiter and a code per subfield).
  // Appended piece by piece (a resize would first fill the record with zeros).
  const auto& fields = view.fields();
  const std::string_view bytes = view.bytes();
  const std::size_t base = 24 + 12 * fields.size() + 1;
  std::size_t data_size = 0;
  for (const auto& f : fields) {
    const std::size_t len = f.data.size() + 1;
    if (len > 9999) return false;
    data_size += len;
  }
  const std::size_t total = base + data_size + 1;
  if (total > 99999) return false;
  const std::size_t start = out.size();
  if (view.directory_as_written() && bytes.size() == total && bytes[total - 1] == kRecordTerminator) {
    // The record as read is laid out as written (its directory lists the fields in the order
    // they lie, from the data's start, and nothing follows them but the record terminator): the
    // directory holds these very entries, so the record goes out in one piece, but its leader.
    out.append(bytes);
    detail::set_written_leader(out.data() + start, total, base);
    return true;
  }
  out.append(bytes.data(), 24);
  detail::set_written_leader(out.data() + start, total, base);
  std::size_t pos = 0;
  for (const auto& f : fields) {
    const std::size_t len = f.data.size() + 1;
    char e[12];
    detail::put_entry(e, f.tag.data(), len, pos);
    out.append(e, 12);
    pos += len;
  }
  out.push_back(kFieldTerminator);
  if (view.fields_in_one_piece()) {
    out.append(bytes.data() + fields.front().offset, data_size);
  } else {
    for (const auto& f : fields) {
      out.append(f.data);
      out.push_back(kFieldTerminator);
    }
  }
  out.push_back(kRecordTerminator);
  return true;
}

std::string to_iso2709(const Record& record) {
  std::string out;
  write_iso2709(record, out);
  return out;
}

}  // namespace marcscope
