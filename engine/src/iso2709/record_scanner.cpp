#include "marcscope/iso2709/record_scanner.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "marcscope/iso2709/leader.h"

namespace marcscope {

std::string_view read_mode_name(ReadMode mode) {
  switch (mode) {
    case ReadMode::Strict: return "strict";
    case ReadMode::Permissive: return "permissive";
    case ReadMode::Recover: return "recover";
  }
  return "unknown";
}

bool parse_read_mode(std::string_view text, ReadMode& mode) {
  if (text == "strict") mode = ReadMode::Strict;
  else if (text == "permissive") mode = ReadMode::Permissive;
  else if (text == "recover") mode = ReadMode::Recover;
  else return false;
  return true;
}

namespace {

constexpr std::size_t kMinRecord = 24 + 1 + 1;  // leader, directory terminator, record terminator
/// Without a terminator within this many bytes there is no point waiting for more input:
/// a record is at most 99,999 bytes.
constexpr std::size_t kMaxSearch = 100000;

inline bool is_junk(unsigned char c) { return c == '\n' || c == '\r' || c == 0x1A || c == 0 || c == ' ' || c == '\t'; }

inline bool starts_like_leader(std::string_view data, std::size_t pos) {
  if (pos + 5 > data.size()) return false;
  for (std::size_t i = 0; i < 5; ++i)
    if (data[pos + i] < '0' || data[pos + i] > '9') return false;
  return true;
}

/// A record at `pos` shows itself: its leader's length ends on a record terminator inside
/// `data`, and its base address follows a field terminator (the directory's).
inline bool starts_like_record(std::string_view data, std::size_t pos) {
  if (!starts_like_leader(data, pos) || pos + 17 > data.size()) return false;
  const auto len = parse_digits(data.substr(pos, 5));
  const auto base = parse_digits(data.substr(pos + 12, 5));
  return len && base && *len >= kMinRecord && pos + *len <= data.size() && data[pos + *len - 1] == '\x1D' &&
         *base > 24 && *base < *len && data[pos + *base - 1] == '\x1E';
}

/// UTF-8 characters in `bytes` (counting lead bytes): to spot lengths counted in characters.
std::size_t count_characters(std::string_view bytes) {
  std::size_t n = 0;
  for (unsigned char c : bytes)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

/// A leader's shape: of the positions ISO 2709 fills with digits (00-04 record length, 10
/// indicator count, 11 identifier length, 12-16 base address, 20-22 entry map), at least ten hold
/// digits. A damaged record keeps most of them; random or text bytes almost never have them.
inline bool leader_shaped(std::string_view data, std::size_t pos) {
  if (pos + 24 > data.size()) return false;
  static constexpr unsigned char kDigitAt[] = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22};
  int digits = 0;
  for (unsigned char i : kDigitAt) digits += data[pos + i] >= '0' && data[pos + i] <= '9';
  return digits >= 10;
}

/// A MARC 21 leader (length and base address in digits, 22 at 10-11, 4500 at 20-23) whose base
/// address follows a field terminator before `term`: a damaged record inside a junk run.
inline bool marc21_record_start(std::string_view data, std::size_t pos, std::size_t term) {
  if (pos + 24 > term || data.compare(pos + 10, 2, "22") != 0 || data.compare(pos + 20, 4, "4500") != 0) return false;
  const auto len = parse_digits(data.substr(pos, 5));
  const auto base = parse_digits(data.substr(pos + 12, 5));
  return len && base && *base > 24 && pos + *base <= term && data[pos + *base - 1] == '\x1E';
}

std::string plural(std::uint64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

/// Stage 1 reads two cache lines of each record, its length and its terminator: too sparse for
/// the hardware prefetcher to see a stream, so each record's first read waits on memory. Ask
/// for the lines a few records ahead instead, as many bytes as the record just read so that
/// the whole input is covered, every other line (the hardware fetches lines in pairs: half the
/// instructions, measured as fast). The decoder then finds them in cache too. Prefetches never
/// fault, so asking past the end of the input is harmless (the address is computed as an integer).
inline void prefetch_ahead(std::string_view data, std::size_t pos, std::size_t len) {
#if defined(__GNUC__)
  constexpr std::size_t kAhead = 4096, kLine = 128;
  const auto at = reinterpret_cast<std::uintptr_t>(data.data()) + pos + kAhead;
  for (std::size_t i = 0; i < len; i += kLine) __builtin_prefetch(reinterpret_cast<const void*>(at + i));
#else
  (void)data;
  (void)pos;
  (void)len;
#endif
}

}  // namespace

void RecordScanner::skip_blanks(std::string_view data, std::size_t& pos, std::uint64_t base) {
  const std::size_t n = data.size(), from = pos;
  while (pos < n) {
    const unsigned char c = static_cast<unsigned char>(data[pos]);
    if (!is_junk(c)) break;
    // A run of one byte value (gigabytes of NULs) is passed over eight bytes at a time.
    std::size_t end = pos + 1;
    const std::uint64_t same = 0x0101010101010101ull * c;
    for (std::uint64_t w; end + 8 <= n; end += 8) {
      std::memcpy(&w, data.data() + end, 8);
      if (w != same) break;
    }
    while (end < n && static_cast<unsigned char>(data[end]) == c) ++end;
    const std::uint64_t k = end - pos;
    if (c == '\n' || c == '\r') junk_.line_breaks += k;
    else if (c == 0x1A) junk_.eofs += k;
    else if (c == 0) junk_.nuls += k;
    else junk_.blanks += k;
    pos = end;
  }
  if (pos == from) return;
  if (junk_.bytes == 0) junk_.start = base + from;
  junk_.bytes += pos - from;
}

void RecordScanner::add_junk(std::string_view bytes, std::uint64_t offset) {
  if (bytes.empty()) return;
  if (junk_.bytes == 0) junk_.start = offset;
  junk_.bytes += bytes.size();
  // One 16-bit counter per kind in one word (line breaks, 0x1A, NUL, blanks), emptied before
  // it can overflow: a table load and an add per byte.
  static constexpr auto kCount = [] {
    std::array<std::uint64_t, 256> t{};
    t['\n'] = t['\r'] = 1;
    t[0x1A] = 1ull << 16;
    t[0] = 1ull << 32;
    t[' '] = t['\t'] = 1ull << 48;
    return t;
  }();
  for (std::size_t i = 0; i < bytes.size() && junk_.shown < sizeof junk_.first; ++i)
    if (!is_junk(static_cast<unsigned char>(bytes[i]))) junk_.first[junk_.shown++] = static_cast<unsigned char>(bytes[i]);
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t end = std::min(bytes.size(), i + 65535);
    std::uint64_t packed = 0;
    for (; i < end; ++i) packed += kCount[static_cast<unsigned char>(bytes[i])];
    junk_.line_breaks += packed & 0xFFFF;
    junk_.eofs += (packed >> 16) & 0xFFFF;
    junk_.nuls += (packed >> 32) & 0xFFFF;
    junk_.blanks += packed >> 48;
  }
}

void RecordScanner::flush_junk(Diagnostics& diags) {
  if (junk_.bytes == 0) return;
  const JunkRun& j = junk_;
  const std::uint64_t other = j.bytes - j.line_breaks - j.eofs - j.nuls - j.blanks;
  std::string kinds;
  auto add = [&](std::uint64_t count, const char* what, const char* whats) {
    if (count == 0) return;
    if (!kinds.empty()) kinds += ", ";
    kinds += std::to_string(count) + " " + (count == 1 ? what : whats);
  };
  add(j.line_breaks, "line break", "line breaks");
  add(j.eofs, "0x1A (DOS end-of-file)", "0x1A (DOS end-of-file)");
  add(j.nuls, "NUL", "NULs");
  add(j.blanks, "blank", "blanks");
  add(other, "other byte", "other bytes");
  if (other != 0 && other <= j.shown) {
    // A few stray bytes are named: which ones they are says what went wrong (a doubled terminator).
    kinds += ":";
    for (std::uint8_t k = 0; k < j.shown; ++k) {
      char hex[8];
      std::snprintf(hex, sizeof hex, " 0x%02X", static_cast<unsigned>(j.first[k]));
      kinds += hex;
    }
    if (other == 1 && j.first[0] >= 0x1D && j.first[0] <= 0x1F)
      kinds += j.first[0] == 0x1D ? " (a record terminator)" : j.first[0] == 0x1E ? " (a field terminator)" : " (a subfield delimiter)";
  }
  const std::string where = seen_ == 0 ? " before the first record" : " after record " + std::to_string(seen_);
  std::string message = other == 0 ? "skipped " + plural(j.bytes, "byte") + " outside any record" + where + " (" + kinds + ")"
                                   : "skipped " + plural(j.bytes, "byte") +
                                         (j.bytes == 1 ? " that is not a MARC record" : " that are not MARC records") + where +
                                         ", bytes " + std::to_string(j.start) + " to " + std::to_string(j.start + j.bytes - 1) +
                                         " (" + kinds + ")";
  diags.push_back({other == 0 ? Severity::Warning : Severity::Error, Code::JunkBetweenRecords, 0, j.start, {}, 0,
                   std::move(message)});
  junk_ = JunkRun{};
}

RecordScanner::Status RecordScanner::start_junk(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                                                Diagnostics& diags, const std::string& why) {
  if (mode_ == ReadMode::Strict) {
    // One diagnostic from the first byte outside a record (blanks before these bytes included).
    const std::uint64_t from = junk_.bytes != 0 ? junk_.start : base + pos;
    junk_ = JunkRun{};
    const std::string where = seen_ == 0 ? " before the first record" : " after record " + std::to_string(seen_);
    diags.push_back({Severity::Fatal, Code::JunkBetweenRecords, 0, from, {}, 0,
                     "the bytes from byte " + std::to_string(from) + where + " are not a MARC record: " + why});
    stopped_ = true;
    return Status::Stopped;
  }
  if (junk_.bytes == 0) junk_.start = base + pos;
  junk_.scanning = true;
  junk_.resume = true;  // pos itself is junk: search on from the byte after it
  junk_.first_candidate = base + pos + 1;
  (void)data;
  (void)at_eof;
  return Status::NeedMore;  // next() goes on with scan_junk()
}

RecordScanner::Status RecordScanner::scan_junk(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                                               Diagnostics& diags) {
  const std::size_t n = data.size();
  for (;;) {
    if (!junk_.resume) {
      // After a record terminator: blanks, then does a record start here?
      skip_blanks(data, pos, base);
      if (pos >= n) {
        if (!at_eof) return Status::NeedMore;
        flush_junk(diags);
        return Status::End;
      }
      if (n - pos < kMinRecord && !at_eof) return Status::NeedMore;
      const auto declared = parse_digits(data.substr(pos, std::min<std::size_t>(5, n - pos)));
      if (declared && *declared >= kMinRecord) {
        if (pos + *declared > n && !at_eof) return Status::NeedMore;
        if (pos + *declared <= n && data[pos + *declared - 1] == '\x1D') break;  // a record
      }
      if (leader_shaped(data, pos)) {
        // A damaged record when its terminator is within a record's reach.
        const std::size_t limit = std::min(n, pos + kMaxSearch);
        const bool hit = std::memchr(data.data() + pos, '\x1D', limit - pos) != nullptr;
        if (!hit && !at_eof && n - pos < kMaxSearch) return Status::NeedMore;
        if (hit) break;
      }
      junk_.resume = true;
      junk_.first_candidate = base + pos + 1;
    }
    // Search on for the next record terminator; a record ending there starts at most 99,999
    // bytes before it (a leader whose length ends exactly there, or a MARC 21 leader).
    const void* hit = std::memchr(data.data() + pos, '\x1D', n - pos);
    if (hit == nullptr) {
      if (at_eof) {
        add_junk(data.substr(pos), base + pos);
        pos = n;
        flush_junk(diags);
        return Status::End;
      }
      // A record that ends past these bytes starts at most 99,998 bytes before their end: the
      // bytes before that are junk, consumed now so that nothing waits in the caller's buffer.
      if (n > pos + kMaxSearch) {
        const std::size_t keep_from = n - (kMaxSearch - 2);
        add_junk(data.substr(pos, keep_from - pos), base + pos);
        pos = keep_from;
        junk_.first_candidate = std::max<std::uint64_t>(junk_.first_candidate, base + pos);
      }
      return Status::NeedMore;
    }
    const std::size_t term = static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
    std::size_t q = static_cast<std::size_t>(std::max<std::uint64_t>(junk_.first_candidate, base + pos) - base);
    if (term + 2 > kMaxSearch) q = std::max(q, term + 2 - kMaxSearch);
    bool found = false;
    for (; q + kMinRecord <= term + 1; ++q) {
      if (static_cast<unsigned char>(data[q] - '0') > 9) continue;  // a leader starts with a digit
      if (starts_like_record(data, q) && q + *parse_digits(data.substr(q, 5)) == term + 1) {
        found = true;
        break;
      }
      if (marc21_record_start(data, q, term)) {
        found = true;
        break;
      }
    }
    if (found) {
      add_junk(data.substr(pos, q - pos), base + pos);
      pos = q;
      break;
    }
    add_junk(data.substr(pos, term + 1 - pos), base + pos);
    pos = term + 1;
    junk_.resume = false;
  }
  junk_.scanning = false;
  junk_.resume = false;
  return Status::Record;  // a record starts at pos; the run is reported with it
}

RecordScanner::Status RecordScanner::next(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                                          RecordSpan& span, Diagnostics& diags) {
  if (stopped_) return Status::Stopped;
  const std::size_t n = data.size();
  for (;;) {
    if (junk_.scanning) {
      const Status st = scan_junk(data, pos, base, at_eof, diags);
      if (st != Status::Record) return st;  // a record starts at pos: read it below
    }
    if (pos < n && is_junk(static_cast<unsigned char>(data[pos]))) [[unlikely]]
      skip_blanks(data, pos, base);
    if (pos >= n) {
      if (!at_eof) return Status::NeedMore;
      flush_junk(diags);
      return Status::End;
    }
    if (!at_eof && n - pos < 5) return Status::NeedMore;
    if (base + pos == 0 && data.starts_with("\xEF\xBB\xBF")) [[unlikely]] {
      // A UTF-8 byte order mark, as text editors put at the start of a file: skipped in every
      // mode with a warning of its own (nothing precedes it; blanks after it are a run of their
      // own, reported when it ends).
      diags.push_back({Severity::Warning, Code::JunkBetweenRecords, 0, 0, {}, 0,
                       "skipped a UTF-8 byte order mark (EF BB BF) at the start of the input"});
      pos = 3;
      continue;
    }
    if (n - pos >= 5) [[likely]] {
      // The common case: leader/00-04 ends on a record terminator.
      const auto declared = parse_digits(data.substr(pos, 5));
      if (declared && *declared >= kMinRecord && pos + *declared <= n && data[pos + *declared - 1] == '\x1D') [[likely]] {
        if (junk_.bytes != 0) [[unlikely]] flush_junk(diags);
        ++seen_;
        span = {base + pos, static_cast<std::uint32_t>(*declared), 0};
        pos += *declared;
        prefetch_ahead(data, pos, *declared);
        return Status::Record;
      }
    }
    const Status st = next_record(data, pos, base, at_eof, span, diags);
    if (again_) {  // stray bytes were passed over: read on
      again_ = false;
      continue;
    }
    if (!junk_.scanning) return st;  // else the bytes at pos began a junk run: scan it
  }
}

RecordScanner::Status RecordScanner::next_record(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                                                 RecordSpan& span, Diagnostics& diags) {
  const std::size_t n = data.size();
  const auto declared = parse_digits(data.substr(pos, std::min<std::size_t>(5, n - pos)));
  if (declared && *declared >= kMinRecord && data.size() - pos >= 5) {
    const std::size_t len = *declared;
    if (pos + len <= n && data[pos + len - 1] == '\x1D') {
      if (junk_.bytes != 0) [[unlikely]] flush_junk(diags);
      ++seen_;
      span = {base + pos, static_cast<std::uint32_t>(len), 0};
      pos += len;
      prefetch_ahead(data, pos, len);
      return Status::Record;
    }
    // Below, the five bytes after the declared end are looked at too.
    if (pos + len + 5 > n && !at_eof) return Status::NeedMore;
  } else if (!at_eof && n - pos < kMinRecord) {
    return Status::NeedMore;
  }

  // The declared length does not end on a record terminator (or there is no usable length).
  // A record's terminator lies within the 99,999 bytes a record may have.
  const void* hit = std::memchr(data.data() + pos, '\x1D', std::min(n, pos + kMaxSearch) - pos);
  if (hit == nullptr && !at_eof && n - pos < kMaxSearch) return Status::NeedMore;
  const std::size_t term = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data()) : n;
  const std::size_t actual = hit ? term + 1 - pos : n - pos;

  if (!hit && !declared && actual < kMinRecord) {
    // A few stray bytes at the end of the input: not a record.
    flush_junk(diags);
    diags.push_back({Severity::Warning, Code::TrailingBytes, 0, base + pos, {}, 0,
                     "ignored " + std::to_string(actual) + " byte" + (actual == 1 ? "" : "s") +
                         " after the last record that do not form a record"});
    pos = n;
    return Status::End;
  }

  if (declared && *declared >= kMinRecord) {
    const std::size_t len = *declared;
    // No record terminator where the length says the record ends, but a field terminator ends it
    // there and the next leader (or the end of the input) follows: trust the length. A length
    // that counted the lost terminator ends one byte into the next record.
    for (const std::size_t end : {pos + len, pos + len - 1}) {
      if (end > n || data[end - 1] != '\x1E' || (hit && term < end)) continue;
      // A byte short of the declared end, the next record must show itself: its own length
      // ends on a record terminator.
      if (end < n && !(end == pos + len ? starts_like_leader(data, end) : starts_like_record(data, end))) continue;
      std::string msg = end == pos + len
                            ? "record does not end with a record terminator (0x1D) at byte " + std::to_string(len) +
                                  " where leader/00-04 says it ends"
                            : "record has no record terminator (0x1D): leader/00-04 counts one at byte " +
                                  std::to_string(len) + ", but a field terminator ends the record at byte " +
                                  std::to_string(len - 1) +
                                  (end == n ? ", the end of the input" : ", where the next record starts");
      return unterminated(pos, end, base, end == pos + len, span, diags, std::move(msg));
    }
    // The terminator's byte holds something else, after the last field terminator, and the next
    // record follows: the record ends where its length says (stage 2 reports the stray byte).
    const std::size_t end = pos + len;
    if (end <= n && data[end - 2] == '\x1E' && (!hit || term >= end) && (end == n || starts_like_record(data, end))) {
      std::string shown = data[end - 1] >= 0x20 && data[end - 1] < 0x7F ? std::string(1, data[end - 1]) : "?";
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(data[end - 1])));
      return unterminated(pos, end, base, true, span, diags,
                          "record does not end with a record terminator (0x1D): byte " + std::to_string(len) +
                              ", where leader/00-04 says it ends, is " + hex + " ('" + shown + "')");
    }
  }
  if (!hit && n - pos >= kMaxSearch)
    return start_junk(data, pos, base, at_eof, diags, "no record terminator (0x1D) in the next " + std::to_string(kMaxSearch) + " bytes");
  if (hit) {
    // A record starts inside these bytes: a leader whose own length ends exactly at the record
    // terminator found. What comes before it is a record that lost its terminator, or stray
    // bytes too few to be a record.
    for (std::size_t q = pos + 1; q + kMinRecord <= term + 1; ++q) {
      if (!starts_like_record(data, q) || q + *parse_digits(data.substr(q, 5)) != term + 1) continue;
      // Far from the start and not right after a field terminator (the end of a record's last
      // field, as when only the record terminator was lost), only a MARC 21 leader will do: the
      // record before lost its end.
      if (q - pos >= kMinRecord && data[q - 1] != '\x1E' &&
          (data.compare(q + 10, 2, "22") != 0 || data.compare(q + 20, 3, "450") != 0))
        continue;
      if (q - pos < kMinRecord) {
        if (mode_ != ReadMode::Strict) return stray(data, pos, q, base);
        return bad_record(data, pos, base, at_eof, span, diags, Code::RecordTooShort,
                          std::to_string(q - pos) + " byte" + (q - pos == 1 ? "" : "s") +
                              " before the record at byte " + std::to_string(base + q) + " are too few to be a record",
                          q);
      }
      std::string msg = "record has no record terminator (0x1D): the next record starts at byte " + std::to_string(base + q);
      msg += data[q - 1] == '\x1E' ? ", right after a field terminator; leader/00-04 " : "; leader/00-04 ";
      msg += declared ? "says " + std::to_string(*declared) + " bytes, the record has " + std::to_string(q - pos)
                      : "is not a number";
      return unterminated(pos, q, base, false, span, diags, std::move(msg));
    }
  }
  if (hit && !leader_shaped(data, pos)) {
    // No leader: these bytes are a (damaged) record only when a record, or the end of the input,
    // follows them; bytes that are no record followed by more such bytes are a junk run.
    std::size_t next = term + 1;
    while (next < n && next - term <= 64 && is_junk(static_cast<unsigned char>(data[next]))) ++next;
    if (next - term > 64) return start_junk(data, pos, base, at_eof, diags, "no leader, and no record follows");
    if (next + 24 > n && !at_eof) return Status::NeedMore;
    if (!(next == n && at_eof) && !leader_shaped(data, next))
      return start_junk(data, pos, base, at_eof, diags, "no leader, and no record follows");
  }
  if (!declared && hit && actual < kMinRecord && mode_ != ReadMode::Strict) return stray(data, pos, term + 1, base);
  if (!declared) {
    std::string shown(data.substr(pos, std::min<std::size_t>(5, n - pos)));
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    Code code = actual < kMinRecord && hit ? Code::RecordTooShort : Code::LeaderLengthInvalid;
    std::string msg = code == Code::RecordTooShort
                          ? "record of " + std::to_string(actual) + " byte" + (actual == 1 ? "" : "s") +
                                " is too short to hold a leader"
                          : "leader/00-04 (record length) is \"" + shown + "\", not five digits";
    return bad_record(data, pos, base, at_eof, span, diags, code, std::move(msg));
  }
  const std::size_t len = *declared;
  if (len < kMinRecord) {
    return bad_record(data, pos, base, at_eof, span, diags, Code::RecordTooShort,
                      "leader/00-04 gives a record length of " + std::to_string(len) +
                          ", too short for a leader and directory");
  }
  if (!hit) {
    return bad_record(data, pos, base, at_eof, span, diags, Code::RecordTruncated,
                      "input ends inside a record: leader/00-04 says " + std::to_string(len) + " bytes, only " +
                          std::to_string(actual) + " remain and there is no record terminator");
  }
  std::string msg = "leader/00-04 says the record is " + std::to_string(len) + " bytes but its terminator (0x1D) ends it at " +
                    std::to_string(actual) + " bytes";
  if (count_characters(data.substr(pos, actual)) == len) msg += " (the length counts characters, not bytes)";
  return bad_record(data, pos, base, at_eof, span, diags, Code::RecordLengthMismatch, std::move(msg));
}

RecordScanner::Status RecordScanner::stray(std::string_view data, std::size_t& pos, std::size_t end, std::uint64_t base) {
  add_junk(data.substr(pos, end - pos), base + pos);
  pos = end;
  // What follows is read as any record is (it may be one that is damaged, or cut short at the
  // end of the input); the run is reported before it.
  again_ = true;
  return Status::NeedMore;  // not returned by next(): it reads on from pos
}

RecordScanner::Status RecordScanner::unterminated(std::size_t& pos, std::size_t end, std::uint64_t base,
                                                  bool length_right, RecordSpan& span, Diagnostics& diags,
                                                  std::string message) {
  flush_junk(diags);
  ++seen_;
  const Severity sev = mode_ == ReadMode::Strict ? Severity::Fatal : Severity::Error;
  diags.push_back({sev, Code::MissingRecordTerminator, seen_, base + end - 1, {}, 0, std::move(message)});
  if (mode_ == ReadMode::Strict) {
    stopped_ = true;
    return Status::Stopped;
  }
  span = {base + pos, static_cast<std::uint32_t>(end - pos),
          RecordSpan::kNoTerminator | (length_right ? 0u : static_cast<std::uint32_t>(RecordSpan::kLengthRepaired))};
  pos = end;
  if (mode_ == ReadMode::Permissive) return Status::Skipped;
  return Status::Record;
}

RecordScanner::Status RecordScanner::bad_record(std::string_view data, std::size_t& pos, std::uint64_t base,
                                                bool /*at_eof*/, RecordSpan& span, Diagnostics& diags, Code code,
                                                std::string message, std::size_t until) {
  flush_junk(diags);
  ++seen_;
  const std::size_t n = data.size();
  const void* hit = until != 0 ? nullptr : std::memchr(data.data() + pos, '\x1D', n - pos);
  const std::size_t end =
      until != 0 ? until : hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data()) + 1 : n;
  const std::size_t actual = end - pos;

  const Severity sev = mode_ == ReadMode::Strict ? Severity::Fatal : Severity::Error;
  diags.push_back({sev, code, seen_, base + pos, {}, 0, std::move(message)});
  if (mode_ == ReadMode::Strict) {
    stopped_ = true;
    return Status::Stopped;
  }
  span = {base + pos, static_cast<std::uint32_t>(actual),
          RecordSpan::kLengthRepaired | (hit ? 0u : static_cast<std::uint32_t>(RecordSpan::kNoTerminator))};
  pos = end;
  // Recover hands anything long enough to hold a leader to stage 2, which decides whether a
  // record can be salvaged from it.
  if (mode_ == ReadMode::Permissive || actual < kMinRecord) return Status::Skipped;
  return Status::Record;
}

}  // namespace marcscope
