#include "marcscope/iso2709/record_scanner.h"

#include <cstdint>
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

/// UTF-8 characters in `bytes` (counting lead bytes): to spot lengths counted in characters.
std::size_t count_characters(std::string_view bytes) {
  std::size_t n = 0;
  for (unsigned char c : bytes)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string describe_junk(std::string_view junk) {
  std::size_t nl = 0, eof = 0, nul = 0, sp = 0;
  for (unsigned char c : junk) {
    if (c == '\n' || c == '\r') ++nl;
    else if (c == 0x1A) ++eof;
    else if (c == 0) ++nul;
    else ++sp;
  }
  std::string kinds;
  auto add = [&](std::size_t count, const char* what) {
    if (count == 0) return;
    if (!kinds.empty()) kinds += ", ";
    kinds += std::to_string(count) + " " + what;
  };
  add(nl, "line break");
  add(eof, "0x1A (DOS end-of-file)");
  add(nul, "NUL");
  add(sp, "blank");
  return "skipped " + std::to_string(junk.size()) + " byte" + (junk.size() == 1 ? "" : "s") +
         " outside any record (" + kinds + ")";
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

RecordScanner::Status RecordScanner::next(std::string_view data, std::size_t& pos, std::uint64_t base, bool at_eof,
                                          RecordSpan& span, Diagnostics& diags) {
  if (stopped_) return Status::Stopped;
  const std::size_t n = data.size();

  const std::size_t junk_start = pos;
  while (pos < n && is_junk(static_cast<unsigned char>(data[pos]))) ++pos;
  if (pos > junk_start) {
    diags.push_back({Severity::Warning, Code::JunkBetweenRecords, 0, base + junk_start, {}, 0,
                     describe_junk(data.substr(junk_start, pos - junk_start))});
  }
  if (pos >= n) return at_eof ? Status::End : Status::NeedMore;
  if (!at_eof && n - pos < 5) return Status::NeedMore;

  const auto declared = parse_digits(data.substr(pos, std::min<std::size_t>(5, n - pos)));
  if (declared && *declared >= kMinRecord && data.size() - pos >= 5) {
    const std::size_t len = *declared;
    if (pos + len <= n && data[pos + len - 1] == '\x1D') {
      ++seen_;
      span = {base + pos, static_cast<std::uint32_t>(len), 0};
      pos += len;
      prefetch_ahead(data, pos, len);
      return Status::Record;
    }
    if (pos + len > n && !at_eof) return Status::NeedMore;
  } else if (!at_eof && n - pos < kMinRecord) {
    return Status::NeedMore;
  }

  // The declared length does not end on a record terminator (or there is no usable length).
  const void* hit = std::memchr(data.data() + pos, '\x1D', n - pos);
  if (hit == nullptr && !at_eof && n - pos < kMaxSearch) return Status::NeedMore;
  const std::size_t term = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data()) : n;
  const std::size_t actual = hit ? term + 1 - pos : n - pos;

  if (!hit && !declared && actual < kMinRecord) {
    // A few stray bytes at the end of the input: not a record.
    diags.push_back({Severity::Warning, Code::TrailingBytes, 0, base + pos, {}, 0,
                     "ignored " + std::to_string(actual) + " byte" + (actual == 1 ? "" : "s") +
                         " after the last record that do not form a record"});
    pos = n;
    return Status::End;
  }

  ++seen_;
  std::string where = "record " + std::to_string(seen_);
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
  // Terminator missing at the declared end, but the declared length lands on the next leader:
  // trust the length.
  if (pos + len <= n && data[pos + len - 1] == '\x1E' && (pos + len == n || starts_like_leader(data, pos + len)) &&
      (!hit || term >= pos + len)) {
    const Severity sev = mode_ == ReadMode::Strict ? Severity::Fatal : Severity::Error;
    diags.push_back({sev, Code::MissingRecordTerminator, seen_, base + pos + len - 1, {}, 0,
                     "record does not end with a record terminator (0x1D) at byte " + std::to_string(len) +
                         " where leader/00-04 says it ends"});
    if (mode_ == ReadMode::Strict) {
      stopped_ = true;
      return Status::Stopped;
    }
    span = {base + pos, static_cast<std::uint32_t>(len), RecordSpan::kNoTerminator};
    pos += len;
    if (mode_ == ReadMode::Permissive) return Status::Skipped;
    return Status::Record;
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

RecordScanner::Status RecordScanner::bad_record(std::string_view data, std::size_t& pos, std::uint64_t base,
                                                bool /*at_eof*/, RecordSpan& span, Diagnostics& diags, Code code,
                                                std::string message) {
  const std::size_t n = data.size();
  const void* hit = std::memchr(data.data() + pos, '\x1D', n - pos);
  const std::size_t end = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - data.data()) + 1 : n;
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
