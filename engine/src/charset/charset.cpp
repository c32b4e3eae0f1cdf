#include "marcscope/charset/charset.h"

#include <algorithm>
#include <cstring>

#include <utf8proc.h>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/charset/utf8.h"

namespace marcscope {

namespace {

/// The data area of a record, from its first field on: terminators and delimiters are ASCII, so
/// it is valid UTF-8 exactly when every field is.
std::string_view body_of(const RecordView& record) {
  std::size_t start = record.bytes().size();
  for (const auto& f : record.fields()) start = std::min<std::size_t>(start, f.offset);
  return record.bytes().substr(start);
}

/// True when converted MARC-8 text holds a combining mark with no letter before it: at the
/// start, or after a blank or a control character.
bool has_stray_mark(std::string_view utf8) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  auto left = static_cast<utf8proc_ssize_t>(utf8.size());
  bool carried = false;  // is there a letter (or other base) for a mark to sit on?
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return true;  // not UTF-8: cannot happen for the converter's output
    p += n;
    left -= n;
    switch (utf8proc_category(cp)) {
      case UTF8PROC_CATEGORY_MN:
      case UTF8PROC_CATEGORY_MC:
      case UTF8PROC_CATEGORY_ME:
        if (!carried) return true;
        break;
      case UTF8PROC_CATEGORY_ZS:
      case UTF8PROC_CATEGORY_CC:
        carried = false;
        break;
      default:
        carried = true;
    }
  }
  return false;
}

/// "record 12 (001 ocm123)": the record's number and, when it has one, its control number.
std::string record_name(const RecordView& record) {
  std::string s = "record " + std::to_string(record.number());
  if (const FieldView* f = record.first("001"); f != nullptr && !f->data.empty()) {
    std::string id;
    for (char c : f->data.substr(0, 30)) id += (c > 0x20 && c < 0x7F) ? c : '?';
    s += " (001 " + id + ")";
  }
  return s;
}

std::string declared_name(char declared) {
  if (declared == ' ') return "blank";
  // Filled in place: GCC 12 at -O3 reads "'" + std::string(1, c) + "'" as an overlapping
  // memcpy (a -Wrestrict false positive) and -Werror stops there.
  std::string quoted = "'?'";
  if (declared > 0x20 && declared < 0x7F) quoted[1] = declared;
  return quoted;
}

}  // namespace

EncodingEvidence examine_encoding(const RecordView& record) {
  EncodingEvidence ev;
  const std::string_view body = body_of(record);
  ev.has_escape = std::memchr(body.data(), 0x1B, body.size()) != nullptr;
  const Utf8Scan scan = scan_utf8(body);
  ev.valid_utf8 = scan.first_invalid == std::string_view::npos;
  ev.has_high_bytes = scan.non_ascii;
  ev.has_multibyte_utf8 = ev.valid_utf8 && ev.has_high_bytes;
  return ev;
}

bool reads_cleanly_as_marc8(const RecordView& record, const Marc8Options& options) {
  std::string out;
  std::vector<Marc8Problem> problems;
  auto clean = [&](std::string_view raw) {
    if (is_marc8_passthrough(raw)) return true;
    out.clear();
    problems.clear();
    marc8_to_utf8(raw, out, &problems, options);
    return problems.empty() && !has_stray_mark(out);
  };
  for (const auto& f : record.fields()) {
    if (f.is_control()) {
      if (!clean(f.data)) return false;
      continue;
    }
    // As Record::from_view splits a field: bytes before the first delimiter, then per subfield
    // a delimiter, a code and the value up to the next delimiter after the code.
    const std::string_view area = f.subfield_area(record.indicator_count());
    std::size_t d = area.find(kSubfieldDelimiter);
    if (!clean(area.substr(0, d))) return false;
    while (d != std::string_view::npos && d + 1 < area.size()) {
      const std::size_t value_at = d + 2;
      d = value_at < area.size() ? area.find(kSubfieldDelimiter, value_at) : std::string_view::npos;
      if (value_at <= area.size() && !clean(area.substr(value_at, d == std::string_view::npos ? std::string_view::npos : d - value_at)))
        return false;
    }
  }
  return true;
}

Encoding choose_encoding(const RecordView& record, const DecodeOptions& options, Diagnostics& diags,
                         EncodingEvidence* evidence, bool* examined) {
  if (examined) *examined = false;
  const char declared = record.leader().character_coding();
  const bool says_utf8 = declared == 'a';
  switch (options.encoding) {
    case EncodingChoice::ForceUtf8: return Encoding::Utf8;
    case EncodingChoice::ForceMarc8: return Encoding::Marc8;
    case EncodingChoice::FromLeader:
    case EncodingChoice::Auto: break;
  }
  if (!options.detect_leader_lies && options.encoding == EncodingChoice::FromLeader)
    return says_utf8 ? Encoding::Utf8 : Encoding::Marc8;

  const EncodingEvidence ev = examine_encoding(record);
  if (evidence) *evidence = ev;
  if (examined) *examined = true;
  const bool automatic = options.encoding == EncodingChoice::Auto;
  const std::uint64_t at = record.offset() + 9;
  Encoding chosen = says_utf8 ? Encoding::Utf8 : Encoding::Marc8;
  if (!says_utf8 && ev.has_multibyte_utf8 && !ev.has_escape) {
    if (options.detect_leader_lies || automatic) {
      diags.push_back({Severity::Warning, Code::EncodingLeaderLies, record.number(), at, {}, 0,
                       record_name(record) + ": leader/09 is " + declared_name(declared) +
                           " (MARC-8) but the data is valid UTF-8" +
                           (automatic ? "; read as UTF-8" : "; read as MARC-8 as declared")});
    }
    if (automatic) chosen = Encoding::Utf8;
  } else if (says_utf8 && ((ev.has_high_bytes && !ev.valid_utf8) || ev.has_escape)) {
    // Evidence for MARC-8: bytes that are not UTF-8 (or ESC sequences), none of them part of a
    // valid multi-byte UTF-8 sequence (a UTF-8 record with a few broken bytes keeps its encoding),
    // and a conversion with no problem.
    const bool ask = automatic || (options.detect_leader_lies && !ev.valid_utf8);
    const bool marc8 = ask && census_utf8(body_of(record)).multibyte == 0 && reads_cleanly_as_marc8(record, options.marc8);
    if (marc8 && automatic) {
      chosen = Encoding::Marc8;
      diags.push_back({Severity::Warning, Code::EncodingLeaderLies, record.number(), at, {}, 0,
                       record_name(record) + ": leader/09 is 'a' (UTF-8) but the data is " +
                           (ev.valid_utf8 ? "MARC-8 escape sequences" : "not valid UTF-8") +
                           " and reads cleanly as MARC-8; read as MARC-8"});
    } else if (options.detect_leader_lies && !ev.valid_utf8) {
      diags.push_back({Severity::Warning, Code::EncodingLeaderLies, record.number(), at, {}, 0,
                       record_name(record) + ": leader/09 is 'a' (UTF-8) but the data is not valid UTF-8" +
                           (marc8 ? std::string(" (it reads cleanly as MARC-8; the automatic encoding choice reads it so)")
                                  : std::string(" and not clean MARC-8 either (a legacy code page?)")) +
                           "; read as UTF-8 as declared"});
    }
  }
  return chosen;
}

void decode_value(std::string_view raw, Encoding encoding, const DecodeOptions& options, std::string& out,
                  Diagnostics& diags, std::uint64_t record, std::uint64_t offset, std::string_view tag, char code) {
  if (encoding == Encoding::Utf8) {
    const std::size_t bad = find_invalid_utf8(raw);
    if (bad == std::string_view::npos) {
      out.append(raw);
      return;
    }
    const bool drop = options.invalid_utf8 == InvalidUtf8Policy::Drop;
    out.append(raw.substr(0, bad));
    const std::size_t n = append_utf8_replacing(raw.substr(bad), out, drop ? std::string_view() : std::string_view("\xEF\xBF\xBD"));
    diags.push_back({options.invalid_utf8 == InvalidUtf8Policy::Error ? Severity::Error : Severity::Warning,
                     Code::InvalidUtf8, record, offset + bad, std::string(tag), code,
                     std::to_string(n) + " invalid UTF-8 sequence" + (n == 1 ? "" : "s") +
                         (drop ? " dropped" : " replaced with U+FFFD")});
    return;
  }
  // MARC-8: plain ASCII is the common case and needs no conversion.
  if (is_marc8_passthrough(raw)) {
    out.append(raw);
    return;
  }
  std::vector<Marc8Problem> problems;
  marc8_to_utf8(raw, out, &problems, options.marc8);
  // One diagnostic per kind of problem per value: a value in the wrong code page would
  // otherwise produce one finding per byte.
  for (auto kind : {Marc8ProblemKind::UnknownEscape, Marc8ProblemKind::UnmappedCode, Marc8ProblemKind::TruncatedSequence}) {
    const Marc8Problem* first = nullptr;
    std::size_t count = 0;
    for (const auto& p : problems) {
      if (p.kind != kind) continue;
      if (!first) first = &p;
      ++count;
    }
    if (!first) continue;
    const Code c = kind == Marc8ProblemKind::UnknownEscape  ? Code::Marc8UnknownEscape
                   : kind == Marc8ProblemKind::UnmappedCode ? Code::Marc8UnmappedCode
                                                            : Code::Marc8TruncatedSequence;
    std::string what = kind == Marc8ProblemKind::UnknownEscape  ? "unknown MARC-8 escape sequence"
                       : kind == Marc8ProblemKind::UnmappedCode ? "MARC-8 code with no character in its set"
                                                                : "MARC-8 sequence cut short";
    std::string msg = count == 1 ? what + ": " + first->detail
                                 : std::to_string(count) + " x " + what + " (first: " + first->detail + ")";
    diags.push_back({Severity::Warning, c, record, offset + first->offset, std::string(tag), code, std::move(msg)});
  }
}

}  // namespace marcscope
