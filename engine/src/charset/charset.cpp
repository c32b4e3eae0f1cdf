#include "marcscope/charset/charset.h"

#include <algorithm>
#include <cstring>

#include "marcscope/iso2709/record_view.h"
#include "marcscope/charset/utf8.h"

namespace marcscope {

EncodingEvidence examine_encoding(const RecordView& record) {
  // One pass over the data area (from the first field on): terminators and delimiters are
  // ASCII, so it is valid UTF-8 exactly when every field is.
  EncodingEvidence ev;
  std::size_t start = record.bytes().size();
  for (const auto& f : record.fields()) start = std::min<std::size_t>(start, f.offset);
  const std::string_view body = record.bytes().substr(start);
  ev.has_escape = std::memchr(body.data(), 0x1B, body.size()) != nullptr;
  const Utf8Scan scan = scan_utf8(body);
  ev.valid_utf8 = scan.first_invalid == std::string_view::npos;
  ev.has_high_bytes = scan.non_ascii;
  ev.has_multibyte_utf8 = ev.valid_utf8 && ev.has_high_bytes;
  return ev;
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
  Encoding chosen = says_utf8 ? Encoding::Utf8 : Encoding::Marc8;
  if (!says_utf8 && ev.has_multibyte_utf8 && !ev.has_escape) {
    const bool switching = options.encoding == EncodingChoice::Auto;
    if (options.detect_leader_lies || switching) {
      diags.push_back({Severity::Warning, Code::EncodingLeaderLies, record.number(), record.offset() + 9, {}, 0,
                       std::string("leader/09 is '") + (declared == ' ' ? std::string("blank") : std::string(1, declared)) +
                           "' (MARC-8) but the data is UTF-8" +
                           (switching ? "; read as UTF-8" : "; read as MARC-8 as declared")});
    }
    if (switching) chosen = Encoding::Utf8;
  } else if (says_utf8 && ev.has_high_bytes && !ev.valid_utf8 && options.detect_leader_lies) {
    diags.push_back({Severity::Warning, Code::EncodingLeaderLies, record.number(), record.offset() + 9, {}, 0,
                     "leader/09 is 'a' (UTF-8) but the data is not valid UTF-8 (MARC-8 or a legacy code page?)"});
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
    const std::size_t n = append_utf8_replacing(raw, out);
    diags.push_back({options.invalid_utf8 == InvalidUtf8Policy::Error ? Severity::Error : Severity::Warning,
                     Code::InvalidUtf8, record, offset + bad, std::string(tag), code,
                     std::to_string(n) + " invalid UTF-8 sequence" + (n == 1 ? "" : "s") +
                         " replaced with U+FFFD"});
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
