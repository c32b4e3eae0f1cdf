// Fuzz target: ISO 2709 bytes through the whole read -> decode -> write pipeline.
//
// The input is read with the Reader in Strict, Permissive and Recover mode. Every delivered record
// is decoded to the owning model with several DecodeOptions (default, forced MARC-8, forced UTF-8,
// and Auto with the error policy and non-default MARC-8 options), then written as ISO 2709 and as
// MARCMaker text. Besides crashes and sanitizer reports, the target aborts when a documented
// invariant breaks:
//   - reading makes progress: at most one item per input byte (plus one);
//   - a delivered view and its fields point inside the input, and FieldView::offset is where the
//     field's data starts;
//   - Strict mode delivers no record with an error, and a Strict stop ends on a Fatal diagnostic;
//   - Record::from_view keeps every field and produces valid UTF-8 values ("Values are UTF-8");
//   - write_iso2709 either throws one of its documented exceptions or writes bytes whose
//     leader/00-04 is their length and which read back in Strict mode as exactly one record with
//     no error and the same number of fields (with MARCSCOPE_FUZZ_ROUNDTRIP=1 also the same
//     fields; see README.md for that and MARCSCOPE_FUZZ_ALLOW).
// Stage 1 and 2 are also run directly, on buffers of exactly the right size (so that AddressSanitizer
// sees any read past the end, which the Reader's own copy of the input would hide): RecordScanner
// fed through small windows, as a streaming source does, must find the same records and skips at
// the same offsets as on the whole buffer (what tests/engine/test_reader.cpp checks on real files),
// and RecordView::parse runs on each record copied into its own allocation.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "marcscope/charset/charset.h"
#include "marcscope/core/diagnostic.h"
#include "marcscope/iso2709/iso2709_writer.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/formats/mrk_writer.h"
#include "marcscope/iso2709/iso2709_reader.h"
#include "marcscope/model/record.h"
#include "marcscope/iso2709/record_scanner.h"
#include "marcscope/iso2709/record_view.h"
#include "marcscope/charset/utf8.h"

namespace {

using namespace marcscope;

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;  // an empty view may point anywhere (or nowhere)
  const char* b = whole.data();
  return part.data() >= b && part.data() + part.size() <= b + whole.size();
}

bool has_error(const Diagnostics& diags) {
  for (const auto& d : diags)
    if (d.severity == Severity::Error || d.severity == Severity::Fatal) return true;
  return false;
}

/// Diagnostic codes named in MARCSCOPE_FUZZ_ALLOW (comma-separated code names, e.g.
/// "leader-invalid-digits"): errors with these codes on re-reading a written record are tolerated,
/// so that fuzzing can go on past a known, reported issue. Unset (the default, and in CTest): none.
const std::vector<std::string>& allowed_codes() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> v;
    const char* env = std::getenv("MARCSCOPE_FUZZ_ALLOW");
    std::string_view s = env ? env : "";
    while (!s.empty()) {
      const std::size_t comma = s.find(',');
      if (comma != 0) v.emplace_back(s.substr(0, comma));
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
    return v;
  }();
  return codes;
}

bool roundtrip_check() {
  static const bool on = [] {
    const char* env = std::getenv("MARCSCOPE_FUZZ_ROUNDTRIP");
    return env != nullptr && *env != '\0' && *env != '0';
  }();
  return on;
}

/// True when there are errors and every one has a code in allowed_codes().
bool only_allowed_errors(const Diagnostics& diags) {
  const auto& allowed = allowed_codes();
  if (allowed.empty()) return false;
  bool any = false;
  for (const auto& d : diags) {
    if (d.severity != Severity::Error && d.severity != Severity::Fatal) continue;
    any = true;
    if (std::find(allowed.begin(), allowed.end(), code_name(d.code)) == allowed.end()) return false;
  }
  return any;
}

void dump(const char* what, const Diagnostics& diags) {
  std::fprintf(stderr, "%s (%zu diagnostics):\n", what, diags.size());
  for (const auto& d : diags)
    std::fprintf(stderr, "  %s %s: %s\n", std::string(severity_name(d.severity)).c_str(),
                 std::string(code_name(d.code)).c_str(), d.to_string().c_str());
}

/// A field as one line, bytes outside printable ASCII as \xHH.
std::string show(const Field& f) {
  std::string out;
  auto put = [&](std::string_view s) {
    for (unsigned char c : s) {
      if (c >= 0x20 && c < 0x7F) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
      }
    }
  };
  put(f.tag());
  out += ' ';
  if (f.is_control()) {
    put(f.value());
    return out;
  }
  put(std::string(1, f.indicator1()) + f.indicator2());
  if (!f.leading_data().empty()) {
    out += " leading[";
    put(f.leading_data());
    out += ']';
  }
  for (const auto& s : f.subfields()) {
    out += " $";
    put(std::string(1, s.code));
    out += ' ';
    put(s.value);
  }
  return out;
}

void touch_diagnostics(const Diagnostics& diags, std::size_t input_size) {
  for (const auto& d : diags) {
    FUZZ_CHECK(d.offset <= input_size, "a diagnostic's offset lies outside the input");
    FUZZ_CHECK(!code_name(d.code).empty(), "every code has a name");
    (void)d.to_string();
  }
  (void)max_severity(diags);
}

void check_view(const RecordView& view, std::string_view input) {
  const std::string_view bytes = view.bytes();
  FUZZ_CHECK(inside(bytes, input), "a delivered record lies outside the input");
  FUZZ_CHECK(bytes.size() >= LeaderView::kSize, "a delivered record is shorter than a leader");
  FUZZ_CHECK(static_cast<std::uint64_t>(bytes.data() - input.data()) == view.offset(),
             "RecordView::offset is not where its bytes start");
  const LeaderView leader = view.leader();
  FUZZ_CHECK(leader.complete(), "a delivered record's leader is not 24 bytes");
  (void)leader.record_length();
  (void)leader.base_address();
  (void)leader.indicator_count();
  FUZZ_CHECK(!view.fields().empty(), "a delivered record has no fields");
  std::size_t subfields = 0;
  for (const auto& f : view.fields()) {
    FUZZ_CHECK(f.tag.size() == 3, "a field tag is not 3 bytes");
    FUZZ_CHECK(inside(f.tag, bytes), "a field tag lies outside its record");
    FUZZ_CHECK(inside(f.data, bytes), "a field's data lies outside its record");
    FUZZ_CHECK(f.data.empty() || static_cast<std::uint64_t>(f.data.data() - bytes.data()) == f.offset,
               "FieldView::offset is not where the field's data starts");
    (void)f.indicator(1);
    (void)f.indicator(2);
    if (f.is_control()) continue;
    for (const auto& sf : f.subfields(view.indicator_count())) {
      FUZZ_CHECK(inside(sf.value, f.data), "a subfield lies outside its field");
      FUZZ_CHECK(++subfields <= bytes.size(), "more subfields than bytes");
    }
  }
  (void)view.first("245");
  (void)examine_encoding(view);
}

void check_record_utf8(const Record& rec) {
  FUZZ_CHECK(rec.leader().size() == LeaderView::kSize, "Record::leader is not 24 characters");
  for (const auto& f : rec.fields()) {
    if (f.is_control()) {
      FUZZ_CHECK(is_valid_utf8(f.value()), "Record::from_view made a control field that is not UTF-8");
    } else {
      FUZZ_CHECK(is_valid_utf8(f.leading_data()), "Record::from_view kept bytes before the first subfield that are not UTF-8");
      for (const auto& s : f.subfields())
        FUZZ_CHECK(is_valid_utf8(s.value), "Record::from_view made a subfield value that is not UTF-8");
    }
  }
}

void write_and_reread(const Record& rec) {
  std::string out;
  try {
    write_iso2709(rec, out);
  } catch (const std::length_error&) {
    return;  // documented: the record or a field is too long for ISO 2709
  } catch (const std::invalid_argument&) {
    return;  // documented: a tag that is not 3 characters
  }
  const auto declared = LeaderView(std::string_view(out).substr(0, LeaderView::kSize)).record_length();
  FUZZ_CHECK(declared && *declared == out.size(), "write_iso2709 wrote a wrong leader/00-04");

  ReadOptions options;
  options.mode = ReadMode::Strict;
  Iso2709Reader reader(InputBuffer::from_bytes(out), options);
  ReadItem item;
  const bool got = reader.next(item);
  if (got && only_allowed_errors(item.diagnostics)) return;  // a known issue, see allowed_codes()
  if (!got || !item.has_record || has_error(item.diagnostics)) {
    dump("re-reading the written record", item.diagnostics);
    std::fprintf(stderr, "leader of the Record: \"%s\"\n", rec.leader().c_str());
  }
  FUZZ_CHECK(got, "the written record reads back as nothing");
  FUZZ_CHECK(item.has_record, "the written record does not read back as a record");
  FUZZ_CHECK(!has_error(item.diagnostics), "the written record reads back with errors");
  FUZZ_CHECK(item.view.fields().size() == rec.fields().size(),
             "the written record reads back with a different number of fields");
  ReadItem extra;
  FUZZ_CHECK(!reader.next(extra), "the written record reads back as more than one item");
  FUZZ_CHECK(!reader.stopped(), "Strict reading of the written record stopped");
  if (roundtrip_check()) {
    // Opt-in (MARCSCOPE_FUZZ_ROUNDTRIP=1): the written record decodes back to the same fields and
    // leader. Off by default because values that hold the structure characters 0x1D-0x1F are
    // written with U+FFFD in their place.
    Diagnostics again_diags;
    const Record again = Record::from_view(item.view, DecodeOptions{}, again_diags);
    for (std::size_t i = 0; i < rec.fields().size(); ++i) {
      if (i < again.fields().size() && again.fields()[i] == rec.fields()[i]) continue;
      std::fprintf(stderr, "field %zu differs after the round trip:\n  written: %s\n  re-read: %s\n", i,
                   show(rec.fields()[i]).c_str(), i < again.fields().size() ? show(again.fields()[i]).c_str() : "-");
    }
    FUZZ_CHECK(again.fields() == rec.fields(), "writing and re-reading a record changed its fields");
    FUZZ_CHECK(again.leader().substr(5, 5) == rec.leader().substr(5, 5) &&
                   again.leader().substr(17, 3) == rec.leader().substr(17, 3),
               "writing and re-reading a record changed leader bytes other than 00-04, 10-11, 12-16 and 20-23");
  }

  std::string mrk;
  write_mrk(rec, mrk);
  write_mrk(rec, mrk, MrkOptions{true});
}

void decode_write(const RecordView& view, const DecodeOptions& options) {
  Diagnostics diags;
  const Record rec = Record::from_view(view, options, diags);
  touch_diagnostics(diags, view.offset() + view.bytes().size());
  FUZZ_CHECK(rec.fields().size() == view.fields().size(), "Record::from_view lost or added fields");
  FUZZ_CHECK(rec.leader()[9] == 'a', "Record::from_view did not set leader/09 to 'a'");
  check_record_utf8(rec);
  write_and_reread(rec);
}

void read_all(std::string_view input, ReadMode mode) {
  ReadOptions options;
  options.mode = mode;
  Iso2709Reader reader(InputBuffer::from_bytes(std::string(input)), options);
  const std::string_view bytes = reader.input().bytes();
  ReadItem item;
  std::size_t items = 0;
  bool last_fatal = false;
  while (reader.next(item)) {
    FUZZ_CHECK(++items <= bytes.size() + 1, "the Iso2709Reader delivers more items than there are input bytes");
    touch_diagnostics(item.diagnostics, bytes.size());
    last_fatal = max_severity(item.diagnostics) == Severity::Fatal;
    if (mode != ReadMode::Strict) FUZZ_CHECK(!last_fatal, "a Fatal diagnostic outside Strict mode");
    if (!item.has_record) {
      FUZZ_CHECK(!item.diagnostics.empty(), "an item with neither a record nor diagnostics");
      continue;
    }
    if (mode == ReadMode::Strict) {
      if (has_error(item.diagnostics)) dump("Strict mode delivered a record with", item.diagnostics);
      FUZZ_CHECK(!has_error(item.diagnostics), "Strict mode delivered a record with an error");
    }
    if (mode == ReadMode::Permissive)
      FUZZ_CHECK(!item.view.repaired(), "Permissive mode delivered a repaired record");
    check_view(item.view, bytes);

    DecodeOptions options_default;
    decode_write(item.view, options_default);

    DecodeOptions force_marc8;
    force_marc8.encoding = EncodingChoice::ForceMarc8;
    decode_write(item.view, force_marc8);

    DecodeOptions force_utf8;
    force_utf8.encoding = EncodingChoice::ForceUtf8;
    decode_write(item.view, force_utf8);

    DecodeOptions other;
    other.encoding = EncodingChoice::Auto;
    other.invalid_utf8 = InvalidUtf8Policy::Error;
    other.detect_leader_lies = false;
    other.marc8.ligature_halves_fe2x = false;
    other.marc8.normalize_nfc = false;
    other.marc8.replacement = U' ';
    decode_write(item.view, other);
  }
  FUZZ_CHECK(!reader.next(item), "the Iso2709Reader delivers more after returning false");
  if (mode == ReadMode::Strict && reader.stopped())
    FUZZ_CHECK(last_fatal, "Strict mode stopped without a Fatal diagnostic in the last item");
  if (mode != ReadMode::Strict) FUZZ_CHECK(!reader.stopped(), "an Iso2709Reader stopped outside Strict mode");
}

/// One outcome of RecordScanner::next that consumed a record (delivered or skipped).
struct Step {
  RecordScanner::Status status;
  std::uint64_t offset;
  std::uint32_t length;
  std::uint32_t flags;
  bool operator==(const Step&) const = default;
};

/// Bytes in an allocation of exactly their size, so ASan reports any read past the end.
struct ExactBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  explicit ExactBuffer(std::string_view bytes) : data(new char[bytes.size() ? bytes.size() : 1]), size(bytes.size()) {
    if (size) std::memcpy(data.get(), bytes.data(), size);
  }
  std::string_view view() const { return {data.get(), size}; }
};

/// Stage 2 on one record's bytes, copied into their own allocation.
void parse_exact(std::string_view record, std::uint64_t offset, std::uint64_t number, ReadMode mode) {
  const ExactBuffer copy(record);
  RecordView view;
  Diagnostics diags;
  const bool ok = view.parse(copy.view(), offset, number, mode, diags);
  if (!ok) {
    FUZZ_CHECK(!diags.empty(), "RecordView::parse rejected a record without saying why");
    return;
  }
  FUZZ_CHECK(!view.fields().empty(), "RecordView::parse accepted a record with no fields");
  for (const auto& f : view.fields()) {
    FUZZ_CHECK(inside(f.data, copy.view()), "a field's data lies outside its record");
    if (f.is_control()) continue;
    for (const auto& sf : f.subfields(view.indicator_count())) FUZZ_CHECK(inside(sf.value, f.data), "a subfield lies outside its field");
  }
}

/// Stage 1 over the whole input at once; the final status is the last element's.
std::vector<Step> scan_whole(std::string_view input, ReadMode mode, RecordScanner::Status& last) {
  RecordScanner scanner(mode);
  std::vector<Step> steps;
  std::size_t pos = 0;
  Diagnostics diags;
  for (;;) {
    RecordSpan span;
    const std::size_t before = pos;
    const auto st = scanner.next(input, pos, 0, true, span, diags);
    FUZZ_CHECK(pos <= input.size(), "RecordScanner moved past the end of its buffer");
    FUZZ_CHECK(st != RecordScanner::Status::NeedMore, "RecordScanner asked for more input at the end of the input");
    if (st != RecordScanner::Status::Record && st != RecordScanner::Status::Skipped) {
      last = st;
      break;
    }
    FUZZ_CHECK(pos > before, "RecordScanner returned a record or skip without consuming input");
    FUZZ_CHECK(span.offset >= before && span.offset + span.length <= pos, "a span outside what was consumed");
    if (st == RecordScanner::Status::Record) {
      FUZZ_CHECK(span.length >= LeaderView::kSize + 1, "RecordScanner delivered a record shorter than a leader");
      parse_exact(input.substr(static_cast<std::size_t>(span.offset), span.length), span.offset,
                  scanner.records_seen(), mode);
    }
    steps.push_back({st, span.offset, span.length, span.flags});
  }
  touch_diagnostics(diags, input.size());
  return steps;
}

/// Stage 1 fed `window` bytes at a time, dropping consumed bytes as a streaming reader does.
std::vector<Step> scan_windowed(std::string_view input, ReadMode mode, std::size_t window, RecordScanner::Status& last) {
  RecordScanner scanner(mode);
  std::vector<Step> steps;
  ExactBuffer buf(std::string_view{});
  std::uint64_t base = 0;  // absolute offset of buf[0]
  std::size_t fed = 0;
  std::size_t pos = 0;
  Diagnostics diags;
  for (;;) {
    const bool eof = fed == input.size();
    RecordSpan span;
    const std::size_t before = pos;
    const auto st = scanner.next(buf.view(), pos, base, eof, span, diags);
    FUZZ_CHECK(pos <= buf.size, "RecordScanner moved past the end of its window");
    if (st == RecordScanner::Status::NeedMore) {
      FUZZ_CHECK(!eof, "RecordScanner asked for more input at the end of the input");
      const std::size_t n = std::min(window, input.size() - fed);
      std::string next(buf.view().substr(pos));
      next.append(input.substr(fed, n));
      fed += n;
      base += pos;
      pos = 0;
      buf = ExactBuffer(next);
      continue;
    }
    if (st != RecordScanner::Status::Record && st != RecordScanner::Status::Skipped) {
      last = st;
      break;
    }
    FUZZ_CHECK(pos > before, "RecordScanner returned a record or skip without consuming input");
    FUZZ_CHECK(span.offset >= base && span.offset - base + span.length <= buf.size,
               "RecordScanner returned a span outside its window");
    steps.push_back({st, span.offset, span.length, span.flags});
  }
  touch_diagnostics(diags, input.size());
  return steps;
}

void scan_direct(std::string_view input, ReadMode mode) {
  RecordScanner::Status whole_last = RecordScanner::Status::End;
  const std::vector<Step> whole = scan_whole(input, mode, whole_last);
  // A window that changes with the input, and a larger one.
  for (const std::size_t window : {std::size_t(1) + input.size() % 37, std::size_t(997)}) {
    RecordScanner::Status last = RecordScanner::Status::End;
    const std::vector<Step> windowed = scan_windowed(input, mode, window, last);
    if (windowed != whole || last != whole_last) {
      std::fprintf(stderr, "mode %s, window %zu: whole buffer gives %zu steps, windowed %zu\n",
                   std::string(read_mode_name(mode)).c_str(), window, whole.size(), windowed.size());
      for (std::size_t i = 0; i < std::max(whole.size(), windowed.size()); ++i) {
        auto show = [](const std::vector<Step>& v, std::size_t k) {
          if (k >= v.size()) return std::string("-");
          return std::string(v[k].status == RecordScanner::Status::Record ? "record" : "skip") + " @" +
                 std::to_string(v[k].offset) + " len " + std::to_string(v[k].length) + " flags " +
                 std::to_string(v[k].flags);
        };
        std::fprintf(stderr, "  %zu: whole %s | windowed %s\n", i, show(whole, i).c_str(), show(windowed, i).c_str());
      }
    }
    FUZZ_CHECK(windowed == whole, "RecordScanner finds other records through a window than on the whole buffer");
    FUZZ_CHECK(last == whole_last, "RecordScanner ends differently through a window than on the whole buffer");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)looks_like_iso2709(input);
  read_all(input, ReadMode::Strict);
  read_all(input, ReadMode::Permissive);
  read_all(input, ReadMode::Recover);
  for (const ReadMode mode : {ReadMode::Strict, ReadMode::Permissive, ReadMode::Recover}) scan_direct(input, mode);
  return 0;
}
