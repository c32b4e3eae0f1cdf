// Fuzz target: utf8_to_marc8 on arbitrary bytes (one UTF-8 string: a subfield value or a control
// field), with references (the default) and with a fallback character. Aborts when:
//   - the return value disagrees with the problem list, or a problem's offset lies outside the
//     input, or a problem is not of the kind the encoder reports (UnmappedCode);
//   - the output depends on whether problems are collected;
//   - appending to a non-empty string changes what was already there, or what gets appended;
//   - with references, marc8_to_utf8 of the output does not give back the input after invalid
//     UTF-8 is replaced by U+FFFD and NFC is applied (the documented round trip; U+0360, U+0361
//     and U+FE20-U+FE23 are left out, since MARC-8 has one form for both);
//   - with a fallback character, decoding the output of an input without '&' reports a problem.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "marcscope/charset/marc8.h"
#include "marcscope/charset/utf8.h"

namespace {

using namespace marcscope;

/// True when `s` (valid UTF-8) holds a ligature or double-tilde half, which MARC-8 writes the
/// same way whether it came as U+0360/U+0361 or as U+FE20-U+FE23.
bool has_ligature_half(std::string_view s) {
  return s.find("\xCD\xA0") != std::string_view::npos || s.find("\xCD\xA1") != std::string_view::npos ||
         s.find("\xEF\xB8\xA0") != std::string_view::npos || s.find("\xEF\xB8\xA1") != std::string_view::npos ||
         s.find("\xEF\xB8\xA2") != std::string_view::npos || s.find("\xEF\xB8\xA3") != std::string_view::npos;
}

std::string encode(std::string_view in, const Marc8EncodeOptions& options) {
  std::string out;
  std::vector<Marc8Problem> problems;
  const bool ok = utf8_to_marc8(in, out, &problems, options);
  FUZZ_CHECK(ok == problems.empty(), "utf8_to_marc8's result disagrees with its problem list");
  for (const auto& p : problems) {
    FUZZ_CHECK(p.offset < in.size(), "a MARC-8 encoding problem's offset lies outside the input");
    FUZZ_CHECK(p.kind == Marc8ProblemKind::UnmappedCode, "utf8_to_marc8 reported a problem of another kind");
  }

  std::string quiet;
  const bool quiet_ok = utf8_to_marc8(in, quiet, nullptr, options);
  FUZZ_CHECK(quiet == out, "utf8_to_marc8's output depends on whether problems are collected");
  FUZZ_CHECK(quiet_ok == ok, "utf8_to_marc8's result depends on whether problems are collected");

  static constexpr std::string_view kPrefix = "pre\x1B(B";
  std::string appended(kPrefix);
  utf8_to_marc8(in, appended, nullptr, options);
  FUZZ_CHECK(std::string_view(appended).substr(0, kPrefix.size()) == kPrefix,
             "utf8_to_marc8 changed what was already in its output string");
  FUZZ_CHECK(std::string_view(appended).substr(kPrefix.size()) == out,
             "utf8_to_marc8 appends something else to a non-empty string");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string repaired;
  append_utf8_replacing(in, repaired);

  const std::string m8 = encode(in, Marc8EncodeOptions{});
  if (!has_ligature_half(repaired)) {
    std::string back;
    std::vector<Marc8Problem> problems;
    Marc8Options raw;
    raw.ligature_halves_fe2x = false;
    marc8_to_utf8(m8, back, &problems, raw);
    FUZZ_CHECK(problems.empty(), "what utf8_to_marc8 wrote does not decode as MARC-8 without problems");
    FUZZ_CHECK(back == nfc(repaired), "marc8_to_utf8(utf8_to_marc8(s)) is not nfc(s)");
  }

  Marc8EncodeOptions lossy;
  lossy.use_ncr = false;
  lossy.fallback = '|';
  const std::string m8_lossy = encode(in, lossy);
  if (in.find('&') == std::string_view::npos) {  // a literal reference is written as it is here
    std::vector<Marc8Problem> problems;
    std::string back;
    marc8_to_utf8(m8_lossy, back, &problems);
    FUZZ_CHECK(problems.empty(), "what utf8_to_marc8 wrote with a fallback does not decode without problems");
  }
  return 0;
}
