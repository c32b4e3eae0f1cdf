#include "marcscope/iso2709/record_view.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "record_bytes.h"
#include "record_repair.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace marcscope {

std::string_view FieldView::subfield_area_slow(std::uint32_t indicator_count) const {
  // Indicators end at the first delimiter if one comes early (a field with missing indicators).
  std::size_t skip = std::min<std::size_t>(indicator_count, data.size());
  for (std::size_t i = 0; i < skip; ++i) {
    if (data[i] == kSubfieldDelimiter) {
      skip = i;
      break;
    }
  }
  return data.substr(skip);
}

void FieldView::SubfieldIterator::advance() {
  if (rest_.empty()) {
    done_ = true;
    return;
  }
  // Skip to the next delimiter; bytes before the first one are not a subfield. After the first
  // subfield the rest always starts at a delimiter.
  if (rest_[0] == kSubfieldDelimiter) {
    rest_.remove_prefix(1);
  } else {
    const void* hit = std::memchr(rest_.data(), kSubfieldDelimiter, rest_.size());
    if (hit == nullptr) {
      done_ = true;
      rest_ = {};
      return;
    }
    rest_.remove_prefix(static_cast<std::size_t>(static_cast<const char*>(hit) - rest_.data()) + 1);
  }
  done_ = false;
  if (rest_.empty()) {
    current_ = {0, rest_};
    return;
  }
  current_.code = rest_[0];
  rest_.remove_prefix(1);
  const void* next = std::memchr(rest_.data(), kSubfieldDelimiter, rest_.size());
  std::size_t len = next ? static_cast<std::size_t>(static_cast<const char*>(next) - rest_.data()) : rest_.size();
  current_.value = rest_.substr(0, len);
  rest_.remove_prefix(len);
}

bool RecordView::find_one_piece() const {
  if (fields_.empty()) return false;
  std::size_t next = fields_.front().offset;
  for (const auto& f : fields_) {
    const std::size_t end = next + f.data.size();  // where its terminator must be
    if (f.offset != next || end >= bytes_.size() || bytes_[end] != kFieldTerminator) return false;
    next = end + 1;
  }
  return true;
}

void RecordView::clear() {
  bytes_ = {};
  fields_.clear();
  offset_ = number_ = 0;
  indicator_count_ = 2;
  repaired_ = one_piece_ = as_written_ = plain_shape_ = own_terminators_ = false;
}

std::vector<FieldView>& RecordView::start_layout() {
  fields_.clear();
  return fields_;
}

void RecordView::finish_layout(std::string_view bytes, std::uint64_t offset, std::uint64_t number) {
  bytes_ = bytes;
  offset_ = offset;
  number_ = number;
  indicator_count_ = 2;
  repaired_ = false;
  // Each field's data ends at its terminator, just before the next field (the last field's,
  // just before the record terminator): the fields are in one piece (find_one_piece()) when each
  // is followed by a field terminator indeed.
  bool terminated = true;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const std::size_t end = (i + 1 < fields_.size() ? fields_[i + 1].offset : bytes.size() - 1) - 1;
    fields_[i].tag = bytes.substr(24 + 12 * i, 3);
    fields_[i].data = bytes.substr(fields_[i].offset, end - fields_[i].offset);
    terminated &= bytes[end] == kFieldTerminator;
  }
  one_piece_ = !fields_.empty() && terminated;
  as_written_ = one_piece_ && fields_.front().offset == 24 + 12 * fields_.size() + 1;
  plain_shape_ = false;  // not looked at: the writer answers for the layout
  own_terminators_ = false;
}

void RecordView::rebase(std::string_view copy) {
  if (copy.size() != bytes_.size()) throw std::invalid_argument("RecordView::rebase: not a copy of the record's bytes");
  if (copy.data() == bytes_.data()) return;  // the same bytes (a string moved with its buffer)
  const auto from = reinterpret_cast<std::uintptr_t>(bytes_.data());
  auto moved = [&](std::string_view v) {
    const auto at = reinterpret_cast<std::uintptr_t>(v.data());
    // Only what points into the bytes (a view made up by a repair keeps pointing where it does).
    if (v.empty() || at < from || at + v.size() > from + bytes_.size()) return v;
    return std::string_view(copy.data() + (at - from), v.size());
  };
  for (auto& f : fields_) {
    f.tag = moved(f.tag);
    f.data = moved(f.data);
  }
  bytes_ = copy;
}

const FieldView* RecordView::first(std::string_view tag) const {
  for (const auto& f : fields_)
    if (f.tag == tag) return &f;
  return nullptr;
}

namespace {

using stage2::char_class;
using stage2::kIndicator;
using stage2::printable;

/// Bytes that end a field (0x1E) or a record (0x1D) in `s`, 32 at a time where SSE2 is there:
/// each lane counts its matches (a match compares as -1), summed before a lane can overflow (no
/// popcount instruction in baseline x86-64).
std::size_t count_terminators(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0, count = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  auto sum = [&](__m128i lanes) {
    const __m128i halves = _mm_sad_epu8(lanes, zero);
    return static_cast<std::size_t>(_mm_cvtsi128_si32(halves)) +
           static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(halves, halves)));
  };
  // 0x1D and 0x1E are the two bytes b with (b - 0x1D) < 2 unsigned: one compare finds both.
  const __m128i low = _mm_set1_epi8(kRecordTerminator), one = _mm_set1_epi8(1);
  auto hits = [&](std::size_t at) {
    const __m128i v = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)), low);
    return _mm_cmpeq_epi8(_mm_subs_epu8(v, one), zero);
  };
  while (i + 32 <= n) {
    __m128i lanes = zero;
    const std::size_t stop = std::min(n - 31, i + 127 * 32);
    for (; i < stop; i += 32) lanes = _mm_sub_epi8(_mm_sub_epi8(lanes, hits(i)), hits(i + 16));
    count += sum(lanes);
  }
#endif
  for (; i < n; ++i) count += (p[i] == kFieldTerminator) | (p[i] == kRecordTerminator);
  return count;
}

/// Data fields: indicators and what precedes the first subfield. Subfield codes are checked
/// where subfields are read (Record::from_view), so scanning records stays cheap.
/// Returns whether every field that is not a control field was the common case.
bool check_data_fields(const std::vector<FieldView>& fields, std::uint32_t indicator_count, stage2::Report& report) {
  bool plain = true;
  for (const auto& f : fields) {
    // The common case in one test: two valid indicators, then a subfield delimiter.
    if (f.data.size() >= 3 && (char_class(f.data[0]) & char_class(f.data[1]) & kIndicator) &&
        f.data[2] == kSubfieldDelimiter)
      continue;
    if (f.is_control()) continue;
    plain = false;
    if (f.data.size() < 2 || f.data[0] == kSubfieldDelimiter || f.data[1] == kSubfieldDelimiter) {
      if (f.data.empty()) continue;
      const std::string tag = printable(f.tag);
      if (f.data[0] != kSubfieldDelimiter) {
        report.warning(Code::IndicatorsMissing, f.offset, tag,
                       "field " + tag + " has one indicator ('" + printable(f.data.substr(0, 1)) +
                           "') before its first subfield; the second is read as blank");
      } else {
        report.warning(Code::IndicatorsMissing, f.offset, tag, "field " + tag + " is missing its indicators; read as blanks");
      }
      continue;
    }
    for (int k = 0; k < 2; ++k) {
      const char c = f.data[k];
      if (!(char_class(c) & kIndicator)) {
        const std::string tag = printable(f.tag);
        report.warning(Code::IndicatorInvalid, f.offset + k, tag,
                       "field " + tag + " indicator " + std::to_string(k + 1) + " is '" +
                           printable(std::string_view(&c, 1)) + "'; MARC 21 indicators are lowercase letters, digits or blank");
      }
    }
    if (f.data.size() > 2 && f.data[2] != kSubfieldDelimiter) {
      const std::string tag = printable(f.tag);
      std::string_view area = f.subfield_area(indicator_count);
      std::size_t d = area.find(kSubfieldDelimiter);
      report.warning(Code::SubfieldDelimiterMissing, f.offset + 2, tag,
                     "field " + tag + " has " + std::to_string(d == std::string_view::npos ? area.size() : d) +
                         " byte(s) after its indicators that belong to no subfield (\"" +
                         printable(area.substr(0, std::min<std::size_t>(d, 20))) + "\"); kept as they are");
    }
  }
  return plain;
}

/// What ISO 2709 reserves for structure, found inside a field's data: a field or record terminator
/// in any field (where `terminators` says to look: recover mode cuts fields at them instead), a
/// subfield delimiter in a control field. The value keeps the byte as read; writers replace it.
void check_structure_bytes(const std::vector<FieldView>& fields, bool terminators, stage2::Report& report) {
  for (const auto& f : fields) {
    std::size_t at = std::string_view::npos;
    if (terminators) {
      for (std::size_t i = 0; i < f.data.size(); ++i) {
        if (f.data[i] == kFieldTerminator || f.data[i] == kRecordTerminator) {
          at = i;
          break;
        }
      }
    }
    if (at == std::string_view::npos && f.is_control()) at = f.data.find(kSubfieldDelimiter);
    if (at == std::string_view::npos) continue;
    const char c = f.data[at];
    const std::string tag = printable(f.tag);
    const char* name = c == kRecordTerminator  ? "a record terminator (0x1D)"
                       : c == kFieldTerminator ? "a field terminator (0x1E)"
                                               : "a subfield delimiter (0x1F)";
    report.warning(Code::StructureByteInData, f.offset + at, tag,
                   "field " + tag + " holds " + name + " " + std::to_string(at) +
                       " bytes into its data, where ISO 2709 reserves it for structure; kept in the value as read "
                       "(writers write it as U+FFFD)");
  }
}

}  // namespace

bool RecordView::parse(std::string_view bytes, std::uint64_t offset, std::uint64_t number, ReadMode mode,
                       Diagnostics& diags) {
  bytes_ = bytes;
  offset_ = offset;
  number_ = number;
  // fields_ keeps its old entries until it is sized below: the fast path overwrites each one
  // (value-initialising them first cost a memset per record), every other path clears it.
  repaired_ = false;
  one_piece_ = false;
  as_written_ = false;
  plain_shape_ = false;
  own_terminators_ = false;
  indicator_count_ = 2;

  stage2::Report report{mode, number, offset, diags};

  if (bytes.size() < LeaderView::kSize + 1) {
    fields_.clear();
    diags.push_back({mode == ReadMode::Strict ? Severity::Fatal : Severity::Error, Code::RecordTooShort, number_,
                     offset_, {}, 0, "record of " + std::to_string(bytes.size()) + " bytes cannot hold a leader"});
    return false;
  }
  const LeaderView leader(bytes.substr(0, LeaderView::kSize));
  // The body ends before the record terminator when there is one.
  const std::size_t body_end = bytes.back() == kRecordTerminator ? bytes.size() - 1 : bytes.size();

  // Leader/10 and 11: MARC 21 always uses two indicators and two-character subfield codes. A
  // blank there is a count never filled in (a record made by a program that sets only the
  // lengths, as pymarc's writer does): read as MARC 21's 2, as yaz and pymarc read it, with a
  // warning. Any other character is an error.
  {
    std::string_view v = leader.bytes().substr(10, 2);
    const auto count_or_blank = [](char c) { return stage2::is_digit(c) || c == ' '; };
    if (!count_or_blank(v[0]) || !count_or_blank(v[1])) {
      report.error(Code::LeaderInvalidDigits, 10, {},
                   "leader/10-11 (indicator and subfield code counts) is \"" + printable(v) + "\", not digits; read as \"22\"");
    } else if (v != "22") {
      report.warning(Code::LeaderUnusualValue, 10, {},
                     "leader/10-11 is \"" + std::string(v) + "\" where MARC 21 always has \"22\"; read as \"22\"");
    }
  }
  if (const char cc = leader.character_coding(); cc != ' ' && cc != 'a') {
    report.warning(Code::LeaderUnusualValue, 9, {},
                   "leader/09 (character coding) is '" + printable(std::string_view(&cc, 1)) +
                       "', neither blank (MARC-8) nor 'a' (UTF-8); read as MARC-8");
  }
  {
    std::string_view v = leader.bytes().substr(20, 4);
    if (v != "4500") {
      bool digits_ok = stage2::is_digit(v[0]) && stage2::is_digit(v[1]) && stage2::is_digit(v[2]);
      if (!digits_ok || v[0] != '4' || v[1] != '5' || v[2] != '0') {
        report.warning(Code::LeaderUnusualValue, 20, {},
                       "leader/20-23 (entry map) is \"" + printable(v) + "\" where MARC 21 has \"4500\"; read as \"4500\"");
      }
    }
  }

  // The fast path: the base address ends a directory of whole entries with a field terminator,
  // and every entry's field ends with one, the last at the end of the data. Anything else is read
  // by read_damaged_record, which starts over from the directory (what this path reported about
  // the directory is taken back first).
  const std::size_t mark = diags.size();
  bool terminators_inside = false;
  bool tags_plain = true;  // every tag of the fast path's directory letters and digits
  const auto base = leader.base_address();
  bool fast = base && *base > 24 && *base <= body_end && bytes[*base - 1] == kFieldTerminator && (*base - 25) % 12 == 0;
  if (fast) {
    const std::size_t data_start = *base;
    const std::string_view directory = bytes.substr(24, data_start - 1 - 24);
    const std::size_t entries = directory.size() / 12;
    const std::string_view data_area = bytes.substr(data_start, body_end - data_start);
    // Sized once and filled by index; views built from pointers (no bounds-checked substr in the
    // loop that runs for every field of every record).
    fields_.resize(entries);
    // Each field starting where the one before it ends (terminators are checked below): the
    // fields in one piece, found here rather than by another walk over them.
    bool contiguous = true;
    std::uint32_t next_start = 0;
    for (std::size_t i = 0; i < entries; ++i) {
      const char* ep = directory.data() + i * 12;
      const std::string_view tag(ep, 3);
      std::uint32_t flen = 0, fstart = 0;
      if (!stage2::is_tag(tag)) {
        tags_plain = false;
        report.warning(Code::TagInvalid, 24 + i * 12, printable(tag),
                       "directory entry " + std::to_string(i + 1) + " has tag \"" + printable(tag) +
                           "\" with characters other than letters and digits");
      }
      if (!parse_directory_numbers(ep + 3, flen, fstart) || flen == 0 ||
          static_cast<std::size_t>(fstart) + flen > data_area.size() || data_area[fstart + flen - 1] != kFieldTerminator) {
        fast = false;
        break;
      }
      // Member by member: building a temporary FieldView and copying it made the compiler store
      // it in 8-byte halves and load it back 16 bytes at a time, a failed store-to-load forward
      // that cost about half of this function's time.
      contiguous &= i == 0 || fstart == next_start;
      next_start = fstart + flen;
      FieldView& out = fields_[i];
      out.tag = tag;
      out.data = std::string_view(data_area.data() + fstart, flen - 1);  // in bounds: checked above
      out.offset = static_cast<std::uint32_t>(data_start + fstart);
    }
    // No entries, or bytes after the last field that no field holds.
    if (fast && (entries == 0 || fields_.back().offset + fields_.back().data.size() + 1 != body_end)) fast = false;
    one_piece_ = fast && contiguous;
    as_written_ = one_piece_ && fields_.front().offset == data_start;
    // Recover promises fields without terminators inside: one per field, none more.
    if (fast && count_terminators(data_area) != entries) {
      if (mode == ReadMode::Recover) fast = false;
      else terminators_inside = true;
    }
    own_terminators_ = fast && !terminators_inside;
  }
  if (!fast) {
    diags.resize(mark);
    if (!stage2::read_damaged_record(bytes, body_end, report, fields_)) {
      repaired_ = false;
      return false;
    }
    terminators_inside = mode != ReadMode::Recover;
    one_piece_ = find_one_piece();
    as_written_ = false;  // fields read from a directory taken apart (what the fast path noted is void)
    own_terminators_ = false;
  }

  const bool data_fields_plain = check_data_fields(fields_, indicator_count_, report);
  plain_shape_ = fast && tags_plain && data_fields_plain && indicator_count_ == 2;
  if (!report.rejected) check_structure_bytes(fields_, terminators_inside, report);
  repaired_ = report.repaired;
  return !report.rejected;
}

}  // namespace marcscope
