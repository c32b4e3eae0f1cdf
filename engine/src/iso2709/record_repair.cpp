#include "record_repair.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace marcscope::stage2 {
namespace {

/// One directory entry as read.
struct Entry {
  std::string_view tag;
  std::string_view text;  ///< the entry's bytes, for messages
  std::uint32_t length = 0;
  std::uint32_t start = 0;
  bool numeric = false;   ///< length and start are digits
  std::uint32_t at = 0;   ///< where the entry lies in the record
};

/// A field's data in the data area, [begin, end), its terminator excluded.
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::uint32_t size() const { return end - begin; }
};

/// How a field of the walk along the terminators ended, for the message that names re-cut fields.
enum class Cut : std::uint8_t { AsDeclared, NoTerminator, ReplacedTerminator };

struct Problem {
  std::size_t entry;
  Code code;
  std::uint64_t at;
  std::string tag;
  std::string message;
};

constexpr std::size_t kNone = std::string_view::npos;

bool has_delimiter(std::string_view s) { return std::memchr(s.data(), kSubfieldDelimiter, s.size()) != nullptr; }

/// The field looks like what its tag holds: a control field has no subfields; a data field has a
/// subfield delimiter after at most two indicators.
bool plausible(std::string_view tag, std::string_view data) {
  if (data.empty()) return false;
  if (is_control_tag(tag)) return !has_delimiter(data);
  return has_delimiter(data.substr(0, 3));
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
std::string plural(std::size_t n, const char* word) { return plural(n, word, (std::string(word) + "s").c_str()); }

class DamagedRecord {
 public:
  DamagedRecord(std::string_view bytes, std::size_t body_end, Report& report)
      : bytes_(bytes), body_end_(body_end), report_(report) {}

  bool read(std::vector<FieldView>& fields);

 private:
  /// data_[begin, end) is one field: its last byte is the only field terminator in it.
  bool ends_alone(std::size_t begin, std::size_t end) const {
    return data_[end - 1] == kFieldTerminator && data_.substr(begin, end - 1 - begin).find(kFieldTerminator) == kNone;
  }
  /// Fields of a reading, other than the last in the data, that hold a terminator before their
  /// end: the reading puts two fields in one, so it is not the record's. (Bytes after the last
  /// field's terminator are a field the directory does not list: said and dropped.)
  bool swallows(const std::vector<Span>& spans) const {
    std::uint32_t last = 0;
    for (const Span& s : spans) last = std::max(last, s.begin);
    for (const Span& s : spans)
      if (s.begin != last && data_.substr(s.begin, s.size()).find(kFieldTerminator) != kNone) return true;
    return false;
  }
  std::vector<Entry> read_entries(std::size_t dir_end) const;
  bool all_exact(std::size_t dir_end) const;
  bool resync(std::string_view directory, int shift, std::vector<Entry>& entries, std::string& note) const;
  std::vector<Span> declared_reading(const std::vector<Entry>& entries, std::vector<Problem>& problems) const;
  bool by_characters(const std::vector<Entry>& entries, std::vector<Span>& spans) const;
  bool by_chunks(const std::vector<Entry>& entries, std::vector<Span>& spans, std::vector<Cut>& cuts) const;
  bool by_walk(const std::vector<Entry>& entries, std::vector<Span>& spans, std::vector<Cut>& cuts) const;
  bool all_confirmed(const std::vector<Entry>& entries, const std::vector<Span>& spans) const;
  bool anchored(const std::vector<Entry>& entries, std::size_t i) const;
  std::string recut_list(const std::vector<Entry>& entries, const std::vector<Span>& spans,
                         const std::vector<Cut>& cuts) const;
  void report_reading(const std::vector<Problem>& problems, std::size_t entries, const std::string& cause,
                      const std::string& recut);

  std::string_view bytes_;
  std::size_t body_end_;
  Report& report_;
  std::size_t data_start_ = 0;
  std::string_view data_;  ///< the data area: after the directory, before the record terminator
};

/// Entries from byte 24 up to the directory end (whole entries only).
std::vector<Entry> DamagedRecord::read_entries(std::size_t dir_end) const {
  std::vector<Entry> out((dir_end - 24) / 12);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t at = 24 + i * 12;
    Entry& e = out[i];
    e.text = bytes_.substr(at, 12);
    e.tag = e.text.substr(0, 3);
    e.numeric = parse_directory_numbers(e.text.data() + 3, e.length, e.start);
    e.at = static_cast<std::uint32_t>(at);
  }
  return out;
}

/// Every entry of a directory ending at `dir_end` gives a field that ends with a terminator.
bool DamagedRecord::all_exact(std::size_t dir_end) const {
  if ((dir_end - 24) % 12 != 0 || dir_end < 36 || dir_end >= body_end_) return false;
  const std::string_view data = bytes_.substr(dir_end + 1, body_end_ - dir_end - 1);
  for (const Entry& e : read_entries(dir_end)) {
    if (!e.numeric || e.length == 0 || std::size_t(e.start) + e.length > data.size() ||
        data[e.start + e.length - 1] != kFieldTerminator)
      return false;
  }
  return true;
}

/// A directory one byte short of (shift -1) or past (shift +1) a whole number of entries: finds the
/// entry that lost or gained the byte, such that the entries before it (read where they are) and
/// after it (read one byte earlier or later) give fields that end with terminators and follow
/// each other to the end of the data, and the damaged entry's numbers are then what its
/// neighbours make them. Its tag must be known for certain: a byte lost from a tag can be put
/// back only where the field's content leaves one choice (a control field's tag is 00X).
/// `note` explains a failure worth telling.
bool DamagedRecord::resync(std::string_view directory, int shift, std::vector<Entry>& entries, std::string& note) const {
  const std::size_t n = (directory.size() - static_cast<std::size_t>(shift)) / 12;
  if (n == 0) return false;
  const std::string_view data = data_;
  auto entry_at = [&](std::size_t pos) {
    Entry e;
    e.text = directory.substr(pos, 12);
    e.tag = e.text.substr(0, 3);
    e.numeric = e.text.size() == 12 && parse_directory_numbers(e.text.data() + 3, e.length, e.start);
    e.at = static_cast<std::uint32_t>(24 + pos);
    return e;
  };
  auto fits = [&](const Entry& e) {
    return e.numeric && e.length > 0 && std::size_t(e.start) + e.length <= data.size() &&
           data[e.start + e.length - 1] == kFieldTerminator;
  };
  // Entries 0..prefix-1 read in place follow each other from the start of the data.
  std::vector<Entry> before;
  std::size_t next = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Entry e = entry_at(12 * i);
    if (!fits(e) || e.start != next) break;
    next = e.start + e.length;
    before.push_back(e);
  }
  // Entries suffix..n-1 read shifted follow each other up to the end of the data.
  std::vector<Entry> after(n);
  std::size_t suffix = n, end = data.size();
  for (std::size_t i = n; i-- > 0;) {
    const std::ptrdiff_t pos = static_cast<std::ptrdiff_t>(12 * i) + shift;
    if (pos < 0) break;
    const Entry e = entry_at(static_cast<std::size_t>(pos));
    if (!fits(e) || std::size_t(e.start) + e.length != end) break;
    end = e.start;
    after[i] = e;
    suffix = i;
  }
  // A tag and the field's content agree: a control field (00X) has no subfields, a data field has.
  auto fits_content = [&](std::string_view tag, std::uint32_t start, std::uint32_t length) {
    return is_tag(tag) && is_control_tag(tag) == !has_delimiter(data.substr(start, length - 1));
  };
  std::optional<std::vector<Entry>> result;
  for (std::size_t j = suffix == 0 ? 0 : suffix - 1; j <= before.size() && j < n; ++j) {
    const std::uint32_t start = j == 0 ? 0 : before[j - 1].start + before[j - 1].length;
    const std::uint32_t stop = j + 1 < n ? after[j + 1].start : static_cast<std::uint32_t>(data.size());
    if (stop <= start || data[stop - 1] != kFieldTerminator || stop - start > 9999 || start > 99999) continue;
    // Read one byte off, the entry after the damaged one has a tag made of its neighbour's last
    // digit and two of its own: it must still fit its field.
    if (j + 1 < n && !fits_content(after[j + 1].tag, after[j + 1].start, after[j + 1].length)) continue;
    char expected[10];
    std::snprintf(expected, sizeof expected, "%04u%05u", stop - start, start);
    const std::string_view raw = directory.substr(12 * j, static_cast<std::size_t>(12 + shift));
    const bool control_content = !has_delimiter(data.substr(start, stop - 1 - start));
    // Each place the byte may have been lost from (or added at) that leaves the numbers right
    // gives a tag; a tag that does not fit the field's content is ruled out.
    std::string_view tag;
    bool unknown = false, several = false;
    for (std::size_t p = 0; p < raw.size() + (shift < 0 ? 1u : 0u); ++p) {
      // The entry as it was: a hole at p (lost byte), or raw without its byte p (gained byte).
      char full[12];
      for (std::size_t k = 0; k < 12; ++k) {
        if (shift < 0) full[k] = k < p ? raw[k] : k == p ? '?' : raw[k - 1];
        else full[k] = k < p ? raw[k] : raw[k + 1];
      }
      bool numbers = true;
      for (std::size_t k = 3; k < 12; ++k)
        if (full[k] != expected[k - 3] && !(shift < 0 && k == p)) numbers = false;
      if (!numbers) continue;
      if (shift < 0 && p < 3) {
        // A character of the tag is gone. A control field's tag is 000-009: the hole is a '0'
        // unless it is the last digit. A data field's tag cannot be completed; it is ruled out
        // only when the rest makes it 00X, a control field's.
        if (control_content) {
          if (!((p == 0 || full[0] == '0') && (p == 1 || full[1] == '0') && (p == 2 || is_digit(full[2])))) continue;
          if (p == 2) {
            unknown = true;
            continue;
          }
          full[p] = '0';
        } else {
          if (!(p == 2 && full[0] == '0' && full[1] == '0')) unknown = true;
          continue;
        }
      }
      const std::string_view whole(full, 3);
      if (!is_tag(whole) || is_control_tag(whole) != control_content) continue;
      // Field views point into the record: a tag put together around the byte must be found in
      // it as three bytes in a row (a control tag's "00X" nearly always is, in the directory's
      // numbers); one that is not cannot be given.
      const std::size_t found = p >= 3 ? 24 + 12 * j : bytes_.find(whole);
      if (found == kNone) {
        unknown = true;
        continue;
      }
      const std::string_view candidate = bytes_.substr(found, 3);
      if (tag.empty()) tag = candidate;
      else if (tag != candidate) several = true;
    }
    if (tag.empty() && !unknown) continue;
    if (unknown || several) {
      note = "entry " + std::to_string(j + 1) + (shift < 0 ? " lost a byte" : " has a byte too many") +
             ", but its tag cannot be told for certain, so the entries after it were not re-read";
      return false;
    }
    std::vector<Entry> reading(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(j));
    Entry damaged;
    damaged.text = raw;
    damaged.tag = tag;
    damaged.length = stop - start;
    damaged.start = start;
    damaged.numeric = true;
    damaged.at = static_cast<std::uint32_t>(24 + 12 * j);
    reading.push_back(damaged);
    reading.insert(reading.end(), after.begin() + static_cast<std::ptrdiff_t>(j + 1), after.end());
    // The byte may fit in more than one place (the end of one entry or the start of the next)
    // when both give the same entries; any other difference leaves no certain reading.
    if (result) {
      bool same = result->size() == reading.size();
      for (std::size_t i = 0; same && i < reading.size(); ++i)
        same = (*result)[i].tag == reading[i].tag && (*result)[i].length == reading[i].length &&
               (*result)[i].start == reading[i].start;
      if (!same) return false;
      continue;
    }
    result = std::move(reading);
  }
  if (!result) return false;
  entries = std::move(*result);
  return true;
}

/// Fields where the directory puts them, with the problems found (as the fast path reads them).
std::vector<Span> DamagedRecord::declared_reading(const std::vector<Entry>& entries,
                                                  std::vector<Problem>& problems) const {
  std::vector<Span> spans(entries.size());
  const auto size = static_cast<std::uint32_t>(data_.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const std::string tag = printable(e.tag);
    if (!e.numeric) {
      problems.push_back({i, Code::DirectoryEntryInvalid, e.at + 3u, tag,
                          "directory entry " + std::to_string(i + 1) + " (\"" + printable(e.text) +
                              "\") has a length or start that is not digits"});
      continue;  // an empty field at the start of the data
    }
    if (std::size_t(e.start) + e.length > size) {
      problems.push_back({i, Code::FieldOutOfBounds, e.at + 3u, tag,
                          "field " + tag + " (start " + std::to_string(e.start) + ", length " + std::to_string(e.length) +
                              ") runs past the end of the record's data (" + std::to_string(size) + " bytes)"});
      const std::uint32_t s = std::min(e.start, size);
      const std::size_t t = data_.find(kFieldTerminator, s);
      spans[i] = {s, t == kNone ? size : static_cast<std::uint32_t>(t)};
      continue;
    }
    if (e.length == 0 || data_[e.start + e.length - 1] != kFieldTerminator) {
      problems.push_back({i, Code::FieldMissingTerminator, data_start_ + e.start + (e.length ? e.length - 1 : 0), tag,
                          "field " + tag + " does not end with a field terminator (0x1E)"});
      spans[i] = {e.start, e.start + e.length};
      continue;
    }
    spans[i] = {e.start, e.start + e.length - 1};
  }
  return spans;
}

/// Lengths and starts counted in characters instead of bytes (a common export bug): with
/// character positions mapped to byte positions, every field must end with a terminator.
bool DamagedRecord::by_characters(const std::vector<Entry>& entries, std::vector<Span>& spans) const {
  std::vector<std::uint32_t> char_to_byte;
  char_to_byte.reserve(data_.size() + 1);
  for (std::size_t b = 0; b < data_.size(); ++b)
    if ((static_cast<unsigned char>(data_[b]) & 0xC0) != 0x80) char_to_byte.push_back(static_cast<std::uint32_t>(b));
  char_to_byte.push_back(static_cast<std::uint32_t>(data_.size()));
  if (char_to_byte.size() - 1 == data_.size()) return false;  // no multi-byte characters: nothing differs
  std::vector<Span> found(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!e.numeric || e.length == 0 || std::size_t(e.start) + e.length >= char_to_byte.size()) return false;
    const std::uint32_t b0 = char_to_byte[e.start], b1 = char_to_byte[e.start + e.length];
    if (b1 <= b0 || data_[b1 - 1] != kFieldTerminator) return false;
    found[i] = {b0, b1 - 1};
  }
  spans = std::move(found);
  return true;
}

/// Exactly one terminated stretch of data per entry, in directory order (the order fields are
/// stored in): the terminators then say where each field ends, whatever the lengths say.
bool DamagedRecord::by_chunks(const std::vector<Entry>& entries, std::vector<Span>& spans, std::vector<Cut>& cuts) const {
  std::vector<Span> found;
  found.reserve(entries.size());
  std::size_t pos = 0;
  bool unterminated = false;
  while (pos < data_.size()) {
    std::size_t t = data_.find(kFieldTerminator, pos);
    if (t == kNone) {
      t = data_.size();  // the last field lost its terminator
      unterminated = true;
    }
    if (found.size() == entries.size()) return false;
    found.push_back({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(t)});
    pos = t + 1;
  }
  if (found.size() != entries.size()) return false;
  spans = std::move(found);
  cuts.assign(entries.size(), Cut::AsDeclared);
  if (unterminated) cuts.back() = Cut::NoTerminator;
  return true;
}

/// Walks the data area in directory order. A field whose length lands on a terminator ends
/// there. Otherwise the field ends at the next terminator, or at the first one at or after its
/// length (lengths counted short), or it lost its terminator (the next field starts where its
/// length ends, a byte early), or its terminator was overwritten (by another byte): of these, the
/// one after which most of the following entries land on terminators wins (the first on a tie,
/// the next terminator if none lands). Succeeds when the walk uses up the data area.
bool DamagedRecord::by_walk(const std::vector<Entry>& entries, std::vector<Span>& spans, std::vector<Cut>& cuts) const {
  const std::size_t size = data_.size();
  const std::size_t n = entries.size();
  std::vector<Span> found(n);
  std::vector<Cut> how(n, Cut::AsDeclared);
  auto lands = [&](const Entry& e, std::size_t at) {
    return e.numeric && e.length > 0 && at + e.length <= size && ends_alone(at, at + e.length);
  };
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (pos > size) return false;
    const Entry& e = entries[i];
    if (lands(e, pos)) {
      found[i] = {static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(pos + e.length - 1)};
      pos += e.length;
      continue;
    }
    const std::size_t t1 = pos < size ? data_.find(kFieldTerminator, pos) : kNone;
    if (i + 1 == n) {
      // The last field: to its terminator, or to the end of the data when it lost it.
      const std::size_t t = t1 == kNone ? size : t1;
      found[i] = {static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(t)};
      pos = t1 == kNone ? size : t + 1;
      break;
    }
    struct Option {
      std::size_t end, next;
      Cut cut;
    };
    Option options[4];
    std::size_t count = 0;
    if (t1 != kNone) options[count++] = {t1, t1 + 1, Cut::AsDeclared};
    if (e.numeric && e.length > 0 && pos + e.length - 1 < size) {
      const std::size_t t2 = data_.find(kFieldTerminator, pos + e.length - 1);
      if (t2 != kNone) options[count++] = {t2, t2 + 1, Cut::AsDeclared};
      options[count++] = {pos + e.length - 1, pos + e.length - 1, Cut::NoTerminator};
      if (pos + e.length <= size) options[count++] = {pos + e.length - 1, pos + e.length, Cut::ReplacedTerminator};
    }
    if (count == 0) return false;
    // How many of the following entries then land on terminators one after another: the way
    // the data goes on is the evidence for where this field ended (one landing can be chance,
    // as when two neighbours have the same length).
    auto run = [&](std::size_t at) {
      std::size_t k = i + 1;
      while (k < n && lands(entries[k], at)) at += entries[k++].length;
      return k - (i + 1);
    };
    std::size_t pick = 0, best = run(options[0].next);
    for (std::size_t k = 1; k < count; ++k) {
      const std::size_t r = run(options[k].next);
      if (r > best) {
        pick = k;
        best = r;
      }
    }
    if (options[pick].cut != Cut::AsDeclared && best == 0) return false;
    found[i] = {static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(options[pick].end)};
    how[i] = options[pick].cut;
    pos = options[pick].next;
  }
  if (pos < size) return false;
  spans = std::move(found);
  cuts = std::move(how);
  return true;
}

/// Entries that show they belong to this record as it was written, whose tags can therefore be
/// trusted with the field a reading gives them: their start or length is the field's, or their
/// numbers follow on from a neighbour's (start where the previous field ends, or end where the
/// next starts) inside the data; an entry whose numbers are not digits, when its tag is a tag and
/// the field looks like what that tag holds. An entry read out of line (a directory that lost or gained a
/// byte) has numbers that are neither, and its tag is made of pieces of two others.
bool DamagedRecord::all_confirmed(const std::vector<Entry>& entries, const std::vector<Span>& spans) const {
  const std::size_t n = entries.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Entry& e = entries[i];
    if (!e.numeric) {
      if (!is_tag(e.tag) || !plausible(e.tag, data_.substr(spans[i].begin, spans[i].size()))) return false;
      continue;
    }
    if (e.length == spans[i].size() + 1 || e.start == spans[i].begin) continue;
    if (e.start > data_.size()) return false;
    const bool back =
        i == 0 ? e.start == 0 : entries[i - 1].numeric && entries[i - 1].start + entries[i - 1].length == e.start;
    const bool forward = i + 1 < n ? entries[i + 1].numeric && e.start + e.length == entries[i + 1].start
                                   : std::size_t(e.start) + e.length == data_.size();
    if (!back && !forward) return false;
  }
  return true;
}

/// Entry i starts its field where a field starts: at the start of the data or after a field
/// terminator, or, in data that ends inside a field, right where the previous entry's field ends.
bool DamagedRecord::anchored(const std::vector<Entry>& entries, std::size_t i) const {
  const Entry& e = entries[i];
  if (!e.numeric) return false;
  const std::size_t size = data_.size();
  if (e.start == 0) return true;
  if (e.start <= size) return data_[e.start - 1] == kFieldTerminator;
  const bool truncated = size == 0 || data_[size - 1] != kFieldTerminator;
  return truncated && i > 0 && entries[i - 1].numeric && entries[i - 1].start + entries[i - 1].length == e.start;
}

/// "040 (field 12, 2 bytes shorter), 043 (field 13), ...": the fields whose place differs from
/// what their directory entries say, and how.
std::string DamagedRecord::recut_list(const std::vector<Entry>& entries, const std::vector<Span>& spans,
                                      const std::vector<Cut>& cuts) const {
  constexpr std::size_t kShown = 8;
  std::string out;
  std::size_t listed = 0, more = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const Span& s = spans[i];
    const bool same = e.numeric && e.length > 0 && s.begin == e.start && s.size() == e.length - 1;
    if (same && (cuts.empty() || cuts[i] == Cut::AsDeclared)) continue;
    if (listed == kShown) {
      ++more;
      continue;
    }
    std::string item = printable(e.tag) + " (field " + std::to_string(i + 1);
    if (!cuts.empty() && cuts[i] == Cut::NoTerminator) {
      item += ", no terminator";
    } else if (!cuts.empty() && cuts[i] == Cut::ReplacedTerminator) {
      item += ", " + hex_byte(data_[s.end]) + " where its terminator belongs";
    } else if (e.numeric && e.length > 0 && s.size() != e.length - 1) {
      const std::uint32_t declared = e.length - 1;
      item += s.size() < declared ? ", " + plural(declared - s.size(), "byte") + " shorter"
                                  : ", " + plural(s.size() - declared, "byte") + " longer";
    } else if (!e.numeric) {
      item += ", no usable length or start";
    }
    out += (listed ? ", " : "") + item + ")";
    ++listed;
  }
  if (more) out += ", and " + std::to_string(more) + " more";
  return out;
}

/// One error about the cause instead of a cascade: the first problem, how many entries have one,
/// how the fields were found and which were re-cut.
void DamagedRecord::report_reading(const std::vector<Problem>& problems, std::size_t entries, const std::string& cause,
                                   const std::string& recut) {
  const Problem& p = problems.front();
  std::string message = std::to_string(problems.size()) + " of " + std::to_string(entries) +
                        " directory entries disagree with the field terminators (first: " + p.message + "); " + cause;
  if (!recut.empty()) message += (report_.recover() ? "; re-cut: " : "; recover mode re-cuts: ") + recut;
  report_.error(p.code, p.at, p.tag, std::move(message));
}

bool DamagedRecord::read(std::vector<FieldView>& fields) {
  fields.clear();
  const LeaderView leader(bytes_.substr(0, LeaderView::kSize));
  const auto base = leader.base_address();

  // Where the directory ends: where the base address says, when that leaves whole entries, or at
  // the first field terminator.
  std::optional<std::size_t> by_base;
  if (base && *base > 24 && *base <= body_end_ && (*base - 25) % 12 == 0) by_base = *base - 1;
  const void* hit = body_end_ > 24 ? std::memchr(bytes_.data() + 24, kFieldTerminator, body_end_ - 24) : nullptr;
  if (hit == nullptr) {
    report_.error(Code::DirectoryInvalid, 24, {}, "the directory has no field terminator (0x1E)");
    return false;
  }
  const auto by_terminator = static_cast<std::size_t>(static_cast<const char*>(hit) - bytes_.data());
  std::size_t dir_end = by_base && bytes_[*by_base] == kFieldTerminator ? *by_base : by_terminator;
  // The other reading wins when every entry agrees with the data there and not here: a
  // directory whose terminator was overwritten, or a stray terminator inside the directory.
  const std::size_t other = dir_end == by_terminator && by_base ? *by_base : by_terminator;
  if (other != dir_end && !all_exact(dir_end) && all_exact(other)) dir_end = other;

  data_start_ = dir_end + 1;
  data_ = bytes_.substr(data_start_, body_end_ - std::min(body_end_, data_start_));
  if (bytes_[dir_end] != kFieldTerminator) {
    report_.error(Code::DirectoryInvalid, dir_end, {},
                  "byte " + std::to_string(dir_end) + ", where leader/12-16 says the directory ends, is " +
                      hex_byte(bytes_[dir_end]) + ", not a field terminator (0x1E); every directory entry agrees with "
                      "the data read from the byte after it");
  } else if (!base) {
    report_.error(Code::BaseAddressInvalid, 12, {},
                  "leader/12-16 (base address of data) is \"" + printable(leader.bytes().substr(12, 5)) +
                      "\", not digits; the directory ends at byte " + std::to_string(data_start_));
  } else if (*base != data_start_) {
    report_.error(Code::BaseAddressMismatch, 12, {},
                  "leader/12-16 says data starts at byte " + std::to_string(*base) + " but the directory ends at byte " +
                      std::to_string(data_start_));
  }

  const std::string_view directory = bytes_.substr(24, dir_end - 24);
  std::vector<Entry> entries;
  if (const std::size_t odd = directory.size() % 12; odd != 0) {
    std::string note;
    const int shift = odd == 11 ? -1 : 1;
    if ((odd == 11 || odd == 1) && resync(directory, shift, entries, note)) {
      std::size_t j = 0;
      while (entries[j].text.size() == 12) ++j;
      report_.error(Code::DirectoryInvalid, entries[j].at, std::string(entries[j].tag),
                    "the directory is " + std::to_string(directory.size()) + " bytes, not a multiple of 12: entry " +
                        std::to_string(j + 1) + " (" + std::string(entries[j].tag) + ") " +
                        (shift < 0 ? "lost a byte" : "has a byte too many") +
                        (j + 1 < entries.size() ? (shift < 0 ? ", which moved every later entry a byte early"
                                                             : ", which moved every later entry a byte late")
                                                : "") +
                        "; read around it, every entry agrees with the data");
    } else {
      report_.error(Code::DirectoryInvalid, 24, {},
                    "the directory is " + std::to_string(directory.size()) + " bytes, not a multiple of 12; " +
                        (note.empty() ? "the last " + std::to_string(odd) + " bytes are ignored" : note));
      entries = read_entries(dir_end);
    }
  } else {
    entries = read_entries(dir_end);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!is_tag(e.tag)) {
      report_.warning(Code::TagInvalid, e.at, printable(e.tag), "directory entry " + std::to_string(i + 1) +
                                                                    " has tag \"" + printable(e.tag) +
                                                                    "\" with characters other than letters and digits");
    }
  }
  const std::size_t n = entries.size();
  if (n == 0) {
    report_.error(Code::NoFields, 24, {}, "the record has no fields");
    return false;
  }

  std::vector<Problem> problems;
  std::vector<Span> spans = declared_reading(entries, problems);
  std::vector<Cut> cuts;
  if (!problems.empty()) {
    std::vector<Span> found;
    if (by_characters(entries, found) && !swallows(found)) {
      report_reading(problems, n,
                     std::string("the directory counts characters, not bytes") +
                         (report_.recover() ? ", and was read that way" : ""),
                     recut_list(entries, found, {}));
      spans = std::move(found);
    } else if (by_chunks(entries, found, cuts) && all_confirmed(entries, found)) {
      report_reading(problems, n,
                     "the data holds exactly one terminated field per entry, so the terminators say where each "
                     "field ends",
                     recut_list(entries, found, cuts));
      spans = std::move(found);
    } else if (by_walk(entries, found, cuts) && !swallows(found) && all_confirmed(entries, found)) {
      report_reading(problems, n, "the fields can be found from their terminators", recut_list(entries, found, cuts));
      spans = std::move(found);
    } else {
      cuts.clear();
      constexpr std::size_t kShown = 5;
      for (std::size_t i = 0; i < problems.size() && i < kShown; ++i)
        report_.error(problems[i].code, problems[i].at, problems[i].tag, problems[i].message);
      if (problems.size() > kShown)
        report_.error(problems[kShown].code, problems[kShown].at, problems[kShown].tag,
                      std::to_string(problems.size() - kShown) + " more directory entries have problems");
      // Each field where its entry puts it, cut at its first terminator so that none swallows the next.
      for (Span& s : spans) {
        const std::size_t t = data_.substr(s.begin, s.size()).find(kFieldTerminator);
        if (t != kNone) s.end = s.begin + static_cast<std::uint32_t>(t);
      }
      // Fields where their entries put them are only worth delivering when each entry in trouble
      // still starts its field where a field starts (its end is what is wrong, or the data ends
      // before it): otherwise the field would hold another one's data, or none while the record
      // holds it.
      std::size_t adrift = 0;
      for (const Problem& p : problems)
        if (!anchored(entries, p.entry)) ++adrift;
      if (adrift > 0 || problems.size() == n) {
        report_.error(Code::DirectoryInvalid, 24, {},
                      (problems.size() == n ? std::string("no directory entry agrees with the data")
                                            : std::to_string(problems.size()) + " of " + std::to_string(n) +
                                                  " directory entries disagree with the data") +
                          (adrift > 0 ? ", " + std::to_string(adrift) + " of them not even where a field starts" : "") +
                          ", and the field terminators do not show where the fields are: a record read from this "
                          "directory would be made of misplaced or invented fields");
        if (report_.recover()) return false;
      }
    }
  }

  // Data between fields that no entry claims: the directory lost the entry of a field there.
  // Which tag it had cannot be known, nor whether the entry read next to it is whole (a lost
  // stretch of directory can join the start of one entry to the end of another): not repaired.
  // A field holds its data and the byte after it when that is its terminator (or where its
  // overwritten terminator was).
  auto held_end = [&](std::size_t i) -> std::uint32_t {
    const Span& s = spans[i];
    const bool terminated = s.end < data_.size() && (data_[s.end] == kFieldTerminator ||
                                                      (!cuts.empty() && cuts[i] == Cut::ReplacedTerminator));
    return terminated ? s.end + 1 : s.end;
  };
  {
    std::vector<Span> held;
    for (std::size_t i = 0; i < n; ++i)
      if (spans[i].size() > 0) held.push_back({spans[i].begin, held_end(i)});
    std::sort(held.begin(), held.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    std::uint32_t reach = 0;
    for (const Span& s : held) {
      if (s.begin > reach) {
        const std::string_view gap = data_.substr(reach, s.begin - reach);
        report_.error(Code::DataOutsideFields, data_start_ + reach, {},
                      plural(gap.size(), "byte") + " of data between fields (\"" + printable(gap.substr(0, 20)) +
                          "\") belong to no field: the directory lost the entry of a field there" +
                          (report_.recover() ? ", so neither that field's tag nor its neighbours' can be trusted" : ""));
        if (report_.recover()) return false;
      }
      reach = std::max(reach, s.end);
    }
  }

  // What no field holds: bytes after a terminator inside a field, and bytes after the last field.
  std::size_t claimed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Span& s = spans[i];
    // Bytes cut off below are reported with their field, not again as bytes after the last one.
    claimed = std::max<std::size_t>(claimed, held_end(i));
    const std::string_view field = data_.substr(s.begin, s.size());
    const std::size_t t = field.find_first_of("\x1D\x1E");
    if (t != kNone) {
      const std::string tag = printable(entries[i].tag);
      const std::string_view rest = field.substr(t);
      report_.error(Code::DataOutsideFields, data_start_ + s.begin + t, tag,
                    "field " + tag + " (field " + std::to_string(i + 1) + ") holds a " +
                        (field[t] == kFieldTerminator ? "field terminator (0x1E)" : "record terminator (0x1D)") + " " +
                        plural(t, "byte") + " in; it ends there, and the " + plural(rest.size(), "byte") +
                        " after it (\"" + printable(rest.substr(0, 20)) + (rest.size() == 1 ? "\") belongs" : "\") belong") +
                        " to no field" +
                        (report_.recover() ? "; dropped" : ""));
      s.end = s.begin + static_cast<std::uint32_t>(t);
    }
  }
  // A record without a record terminator may end with the byte that took its place, after its
  // last field terminator: stage 1 has named that byte already.
  const bool stray_terminator = body_end_ == bytes_.size() && claimed + 1 == data_.size() && claimed > 0 &&
                                data_[claimed - 1] == kFieldTerminator;
  if (claimed < data_.size() && !stray_terminator) {
    const std::string_view rest = data_.substr(claimed);
    report_.error(Code::DataOutsideFields, data_start_ + claimed, {},
                  (rest.size() == 1 ? std::string("the last byte of the record's data (\"")
                                    : "the last " + plural(rest.size(), "byte") + " of the record's data (\"") +
                      printable(rest.substr(0, 20)) + (rest.size() == 1 ? "\") belongs" : "\") belong") + " to no field" +
                      (report_.recover() ? "; dropped" : ""));
  }

  fields.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    FieldView& f = fields[i];
    f.tag = entries[i].tag;
    f.data = data_.substr(spans[i].begin, spans[i].size());
    f.offset = static_cast<std::uint32_t>(data_start_ + spans[i].begin);
  }
  return true;
}

}  // namespace

bool read_damaged_record(std::string_view bytes, std::size_t body_end, Report& report, std::vector<FieldView>& fields) {
  return DamagedRecord(bytes, body_end, report).read(fields);
}

}  // namespace marcscope::stage2
