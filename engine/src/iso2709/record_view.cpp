#include "marcscope/iso2709/record_view.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

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

const FieldView* RecordView::first(std::string_view tag) const {
  for (const auto& f : fields_)
    if (f.tag == tag) return &f;
  return nullptr;
}

namespace {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One table lookup per character instead of a chain of range tests (tags and indicators are
// checked for every field of every record).
constexpr std::uint8_t kTagChar = 1;   // letters and digits
constexpr std::uint8_t kIndicator = 2;  // MARC 21 indicators: blank, lowercase letters, digits
constexpr auto kCharClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kTagChar | kIndicator;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kTagChar | kIndicator;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kTagChar;
  t[' '] = kIndicator;
  return t;
}();
inline std::uint8_t char_class(char c) { return kCharClass[static_cast<unsigned char>(c)]; }
inline bool is_tag(std::string_view t) { return char_class(t[0]) & char_class(t[1]) & char_class(t[2]) & kTagChar; }

inline std::uint32_t digits(std::string_view s, bool& ok) {
  std::uint32_t v = 0;
  if (s.size() == 4) {
    if (!parse_digits4(s.data(), v)) ok = false;
    return v;
  }
  if (s.size() == 5) {
    const unsigned last = static_cast<unsigned char>(s[4]) - static_cast<unsigned>('0');
    if (!parse_digits4(s.data(), v) || last > 9) {
      ok = false;
      return 0;
    }
    return v * 10 + last;
  }
  unsigned bad = 0;
  for (char c : s) {
    const unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    bad |= d > 9 ? 1u : 0u;
    v = v * 10 + d;
  }
  if (bad) ok = false;
  return bad ? 0 : v;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c >= 0x7F) ? '?' : static_cast<char>(c);
  return out;
}

}  // namespace

bool RecordView::parse(std::string_view bytes, std::uint64_t offset, std::uint64_t number, ReadMode mode,
                       Diagnostics& diags) {
  bytes_ = bytes;
  offset_ = offset;
  number_ = number;
  fields_.clear();
  repaired_ = false;
  indicator_count_ = 2;

  // Problems that lose or guess data are errors: Strict and Permissive reject the record,
  // Recover repairs it. Warnings never reject.
  bool rejected = false;
  auto error = [&](Code code, std::uint64_t at, std::string tag, std::string message) {
    diags.push_back({mode == ReadMode::Strict ? Severity::Fatal : Severity::Error, code, number_, offset_ + at,
                     std::move(tag), 0, std::move(message)});
    if (mode == ReadMode::Recover) repaired_ = true;
    else rejected = true;
  };
  auto warning = [&](Code code, std::uint64_t at, std::string tag, std::string message) {
    diags.push_back({Severity::Warning, code, number_, offset_ + at, std::move(tag), 0, std::move(message)});
  };

  if (bytes.size() < LeaderView::kSize + 1) {
    diags.push_back({mode == ReadMode::Strict ? Severity::Fatal : Severity::Error, Code::RecordTooShort, number_,
                     offset_, {}, 0, "record of " + std::to_string(bytes.size()) + " bytes cannot hold a leader"});
    return false;
  }
  const LeaderView leader(bytes.substr(0, LeaderView::kSize));
  // The body ends before the record terminator when there is one.
  const std::size_t body_end = bytes.back() == kRecordTerminator ? bytes.size() - 1 : bytes.size();

  // Leader/10 and 11: MARC 21 always uses two indicators and two-character subfield codes.
  {
    std::string_view v = leader.bytes().substr(10, 2);
    if (!is_digit(v[0]) || !is_digit(v[1])) {
      error(Code::LeaderInvalidDigits, 10, {},
            "leader/10-11 (indicator and subfield code counts) is \"" + printable(v) + "\", not digits; read as \"22\"");
    } else if (v != "22") {
      warning(Code::LeaderUnusualValue, 10, {},
              "leader/10-11 is \"" + std::string(v) + "\" where MARC 21 always has \"22\"; read as \"22\"");
    }
  }
  if (const char cc = leader.character_coding(); cc != ' ' && cc != 'a') {
    warning(Code::LeaderUnusualValue, 9, {},
            "leader/09 (character coding) is '" + printable(std::string_view(&cc, 1)) +
                "', neither blank (MARC-8) nor 'a' (UTF-8); read as MARC-8");
  }
  {
    std::string_view v = leader.bytes().substr(20, 4);
    if (v != "4500") {
      bool digits_ok = is_digit(v[0]) && is_digit(v[1]) && is_digit(v[2]);
      if (!digits_ok || v[0] != '4' || v[1] != '5' || v[2] != '0') {
        warning(Code::LeaderUnusualValue, 20, {},
                "leader/20-23 (entry map) is \"" + printable(v) + "\" where MARC 21 has \"4500\"; read as \"4500\"");
      }
    }
  }

  // Directory: from byte 24 to the first field terminator.
  const void* dir_hit = std::memchr(bytes.data() + 24, kFieldTerminator, body_end - 24);
  std::size_t dir_end;  // index of the directory's terminator
  const auto base = leader.base_address();
  if (base && *base > 24 && *base <= body_end && bytes[*base - 1] == kFieldTerminator &&
      (*base - 1 - 24) % 12 == 0) {
    dir_end = *base - 1;
  } else if (dir_hit != nullptr) {
    dir_end = static_cast<std::size_t>(static_cast<const char*>(dir_hit) - bytes.data());
    if (!base) {
      error(Code::BaseAddressInvalid, 12, {},
            "leader/12-16 (base address of data) is \"" + printable(leader.bytes().substr(12, 5)) +
                "\", not digits; the directory ends at byte " + std::to_string(dir_end + 1));
    } else if (*base != dir_end + 1) {
      error(Code::BaseAddressMismatch, 12, {},
            "leader/12-16 says data starts at byte " + std::to_string(*base) + " but the directory ends at byte " +
                std::to_string(dir_end + 1));
    }
  } else {
    error(Code::DirectoryInvalid, 24, {}, "the directory has no field terminator (0x1E)");
    return false;
  }
  const std::size_t data_start = dir_end + 1;
  std::string_view directory = bytes.substr(24, dir_end - 24);
  if (directory.size() % 12 != 0) {
    error(Code::DirectoryInvalid, 24, {},
          "the directory is " + std::to_string(directory.size()) + " bytes, not a multiple of 12; the last " +
              std::to_string(directory.size() % 12) + " bytes are ignored");
  }
  const std::size_t entries = directory.size() / 12;
  if (entries == 0) {
    error(Code::NoFields, 24, {}, "the record has no fields");
    return mode == ReadMode::Recover ? false : !rejected;
  }

  std::string_view data_area = bytes.substr(data_start, body_end - data_start);
  fields_.reserve(entries);
  // Directory problems are collected first: when lengths were counted in characters or a field
  // lost its terminator, every later entry is off too, and one diagnostic about the cause says
  // more than a cascade of them.
  struct Problem {
    Code code;
    std::uint64_t at;
    std::string tag;
    std::string message;
  };
  std::vector<Problem> problems;
  // Sized once and filled by index; views built from pointers (no bounds-checked substr in the
  // loop that runs for every field of every record).
  fields_.resize(entries);
  for (std::size_t i = 0; i < entries; ++i) {
    const char* ep = directory.data() + i * 12;
    const std::string_view e(ep, 12);
    const std::string_view tag(ep, 3);
    std::uint32_t flen = 0, fstart = 0;
    const bool ok = parse_directory_numbers(ep + 3, flen, fstart);
    const std::uint64_t at = 24 + i * 12;
    if (!is_tag(tag)) {
      warning(Code::TagInvalid, at, printable(tag), "directory entry " + std::to_string(i + 1) + " has tag \"" +
                                                        printable(tag) + "\" with characters other than letters and digits");
    }
    if (!ok) {
      problems.push_back({Code::DirectoryEntryInvalid, at + 3, printable(tag),
                          "directory entry " + std::to_string(i + 1) + " (\"" + printable(e) +
                              "\") has a length or start that is not digits"});
      // An empty view that still points into the record, so offsets and memchr stay defined.
      fields_[i] = {tag, data_area.substr(0, 0), static_cast<std::uint32_t>(data_start)};
      continue;
    }
    if (static_cast<std::size_t>(fstart) + flen > data_area.size()) {
      problems.push_back({Code::FieldOutOfBounds, at + 3, std::string(tag),
                          "field " + std::string(tag) + " (start " + std::to_string(fstart) + ", length " +
                              std::to_string(flen) + ") runs past the end of the record's data (" +
                              std::to_string(data_area.size()) + " bytes)"});
      std::size_t s = std::min<std::size_t>(fstart, data_area.size());
      std::string_view rest = data_area.substr(s);
      std::size_t t = rest.find(kFieldTerminator);
      fields_[i] = {tag, rest.substr(0, t), static_cast<std::uint32_t>(data_start + s)};
      continue;
    }
    std::string_view fdata(data_area.data() + fstart, flen);  // in bounds: checked above
    if (flen == 0 || fdata.back() != kFieldTerminator) {
      problems.push_back({Code::FieldMissingTerminator, data_start + fstart + (flen ? flen - 1 : 0), std::string(tag),
                          "field " + std::string(tag) + " does not end with a field terminator (0x1E)"});
    } else {
      fdata.remove_suffix(1);
    }
    // Member by member: building a temporary FieldView and copying it made the compiler store
    // it in 8-byte halves and load it back 16 bytes at a time, a failed store-to-load forward
    // that cost about half of this function's time.
    FieldView& out = fields_[i];
    out.tag = tag;
    out.data = fdata;
    out.offset = static_cast<std::uint32_t>(data_start + fstart);
  }

  if (!problems.empty()) {
    // Lengths and starts counted in characters instead of bytes (a common export bug): map
    // character positions to byte positions and check every field then ends with 0x1E.
    std::vector<std::uint32_t> char_to_byte;
    char_to_byte.reserve(data_area.size() + 1);
    for (std::size_t b = 0; b < data_area.size(); ++b)
      if ((static_cast<unsigned char>(data_area[b]) & 0xC0) != 0x80) char_to_byte.push_back(static_cast<std::uint32_t>(b));
    char_to_byte.push_back(static_cast<std::uint32_t>(data_area.size()));
    bool by_chars = char_to_byte.size() - 1 < data_area.size();  // only differs when multi-byte
    std::vector<std::string_view> found(entries);
    std::vector<std::uint32_t> found_at(entries);
    for (std::size_t i = 0; i < entries && by_chars; ++i) {
      bool ok = true;
      std::string_view e = directory.substr(i * 12, 12);
      std::uint32_t flen = digits(e.substr(3, 4), ok);
      std::uint32_t fstart = digits(e.substr(7, 5), ok);
      if (!ok || flen == 0 || std::size_t(fstart) + flen >= char_to_byte.size()) {
        by_chars = false;
        break;
      }
      const std::size_t b0 = char_to_byte[fstart], b1 = char_to_byte[fstart + flen];
      if (data_area[b1 - 1] != kFieldTerminator) {
        by_chars = false;
        break;
      }
      found[i] = data_area.substr(b0, b1 - 1 - b0);
      found_at[i] = static_cast<std::uint32_t>(data_start + b0);
    }
    if (by_chars) {
      const Problem& p = problems.front();
      error(p.code, p.at, p.tag,
            std::to_string(problems.size()) + " of " + std::to_string(entries) +
                " directory entries disagree with the field terminators (first: " + p.message +
                "); the directory counts characters, not bytes" +
                (mode == ReadMode::Recover ? ", and was read that way" : ""));
      for (std::size_t i = 0; i < entries; ++i) {
        fields_[i].data = found[i];
        fields_[i].offset = found_at[i];
      }
      problems.clear();
    }
  }

  if (!problems.empty()) {
    // Fields are stored in directory order, each ending with 0x1E. Walk the data area in that
    // order: a field's terminator is the first 0x1E at or after its declared length (lengths
    // counted in characters are too small, never too large). If that walk uses up the data area
    // exactly, it has found every field.
    std::vector<std::string_view> found(entries);
    std::vector<std::uint32_t> found_at(entries);
    std::size_t pos = 0;
    bool walked = true;
    for (std::size_t i = 0; i < entries && walked; ++i) {
      bool ok = true;
      std::string_view e = directory.substr(i * 12, 12);
      std::uint32_t flen = digits(e.substr(3, 4), ok);
      std::size_t from = ok && flen > 0 ? pos + flen - 1 : pos;
      std::size_t t = from < data_area.size() ? data_area.find(kFieldTerminator, from) : std::string_view::npos;
      if (t == std::string_view::npos) {
        if (i + 1 != entries || pos > data_area.size()) walked = false;
        t = data_area.size();
      }
      if (walked) {
        found[i] = data_area.substr(pos, t - pos);
        found_at[i] = static_cast<std::uint32_t>(data_start + pos);
        pos = t + 1;
      }
    }
    walked = walked && pos >= data_area.size();
    // A plausible split gives every data field two indicators and then a subfield delimiter.
    auto plausible = [&](const std::vector<std::string_view>& cand) {
      for (std::size_t i = 0; i < entries; ++i) {
        if (is_control_tag(fields_[i].tag)) continue;
        if (cand[i].size() >= 3 && cand[i][2] != kSubfieldDelimiter) return false;
      }
      return true;
    };
    if (walked && !plausible(found)) {
      // Try the other reading: one 0x1E-terminated chunk per entry.
      std::vector<std::string_view> chunks(entries);
      std::vector<std::uint32_t> chunks_at(entries);
      std::size_t p2 = 0, i = 0;
      for (; i < entries && p2 <= data_area.size(); ++i) {
        std::size_t t = data_area.find(kFieldTerminator, p2);
        if (t == std::string_view::npos) t = data_area.size();
        chunks[i] = data_area.substr(p2, t - p2);
        chunks_at[i] = static_cast<std::uint32_t>(data_start + p2);
        p2 = t + 1;
      }
      if (i == entries && p2 >= data_area.size() && plausible(chunks)) {
        found = std::move(chunks);
        found_at = std::move(chunks_at);
      }
    }
    if (walked) {
      const Problem& p = problems.front();
      error(p.code, p.at, p.tag,
            std::to_string(problems.size()) + " of " + std::to_string(entries) +
                " directory entries disagree with the field terminators (first: " + p.message +
                "); the fields can be found from their terminators" +
                (mode == ReadMode::Recover ? ", and were" : ""));
      for (std::size_t i = 0; i < entries; ++i) {
        fields_[i].data = found[i];
        fields_[i].offset = found_at[i];
      }
    } else {
      constexpr std::size_t kShown = 5;
      for (std::size_t i = 0; i < problems.size() && i < kShown; ++i)
        error(problems[i].code, problems[i].at, problems[i].tag, problems[i].message);
      if (problems.size() > kShown)
        error(problems[kShown].code, problems[kShown].at, problems[kShown].tag,
              std::to_string(problems.size() - kShown) + " more directory entries have problems");
      // Cut each field at its first terminator so no field swallows the next one.
      for (auto& f : fields_) {
        std::size_t t = f.data.find(kFieldTerminator);
        if (t != std::string_view::npos) f.data = f.data.substr(0, t);
      }
    }
  }

  // Data fields: indicators and what precedes the first subfield. Subfield codes are checked
  // where subfields are read (Record::from_view), so scanning records stays cheap.
  for (const auto& f : fields_) {
    // The common case in one test: two valid indicators, then a subfield delimiter.
    if (f.data.size() >= 3 && (char_class(f.data[0]) & char_class(f.data[1]) & kIndicator) &&
        f.data[2] == kSubfieldDelimiter)
      continue;
    if (f.is_control()) continue;
    if (f.data.size() < 2 || f.data[0] == kSubfieldDelimiter || f.data[1] == kSubfieldDelimiter) {
      if (!f.data.empty()) {
        const std::string tag(f.tag);
        warning(Code::IndicatorsMissing, f.offset, tag, "field " + tag + " is missing its indicators; read as blanks");
      }
      continue;
    }
    for (int k = 0; k < 2; ++k) {
      const char c = f.data[k];
      if (!(char_class(c) & kIndicator)) {
        const std::string tag(f.tag);
        warning(Code::IndicatorInvalid, f.offset + k, tag,
                "field " + tag + " indicator " + std::to_string(k + 1) + " is '" + printable(std::string_view(&c, 1)) +
                    "'; MARC 21 indicators are lowercase letters, digits or blank");
      }
    }
    if (f.data.size() > 2 && f.data[2] != kSubfieldDelimiter) {
      const std::string tag(f.tag);
      std::string_view area = f.subfield_area(indicator_count_);
      std::size_t d = area.find(kSubfieldDelimiter);
      warning(Code::SubfieldDelimiterMissing, f.offset + 2, tag,
              "field " + tag + " has " + std::to_string(d == std::string_view::npos ? area.size() : d) +
                  " byte(s) after its indicators that belong to no subfield (\"" +
                  printable(area.substr(0, std::min<std::size_t>(d, 20))) + "\"); kept as they are");
    }
  }

  return !rejected;
}

}  // namespace marcscope
