// Fuzz target: marc8_to_utf8 on arbitrary bytes (one MARC-8 string: a subfield value or a control
// field). Runs every combination of the two switches in Marc8Options and aborts when:
//   - the output is not valid UTF-8;
//   - the return value disagrees with the problem list ("true when there were no problems");
//   - a problem's offset lies outside the input;
//   - the output depends on whether problems are collected;
//   - appending to a non-empty string changes what was already there, or what gets appended.

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

void convert(std::string_view in, const Marc8Options& options) {
  std::string out;
  std::vector<Marc8Problem> problems;
  const bool ok = marc8_to_utf8(in, out, &problems, options);
  FUZZ_CHECK(is_valid_utf8(out), "marc8_to_utf8 produced invalid UTF-8");
  FUZZ_CHECK(ok == problems.empty(), "marc8_to_utf8's result disagrees with its problem list");
  for (const auto& p : problems) {
    FUZZ_CHECK(p.offset < in.size(), "a MARC-8 problem's offset lies outside the input");
    FUZZ_CHECK(p.kind == Marc8ProblemKind::UnknownEscape || p.kind == Marc8ProblemKind::UnmappedCode ||
                   p.kind == Marc8ProblemKind::TruncatedSequence,
               "a MARC-8 problem of no known kind");
  }

  // Without a problem list: same output, same result.
  std::string quiet;
  const bool quiet_ok = marc8_to_utf8(in, quiet, nullptr, options);
  FUZZ_CHECK(quiet == out, "marc8_to_utf8's output depends on whether problems are collected");
  FUZZ_CHECK(quiet_ok == ok, "marc8_to_utf8's result depends on whether problems are collected");

  // Appending: what is already in `out` stays, and the same text is appended.
  static constexpr std::string_view kPrefix = "pre\xC3\xA9";  // "pre" + e-acute
  std::string appended(kPrefix);
  marc8_to_utf8(in, appended, nullptr, options);
  FUZZ_CHECK(std::string_view(appended).substr(0, kPrefix.size()) == kPrefix,
             "marc8_to_utf8 changed what was already in its output string");
  FUZZ_CHECK(std::string_view(appended).substr(kPrefix.size()) == out,
             "marc8_to_utf8 appends something else to a non-empty string");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (const bool fe2x : {true, false}) {
    for (const bool nfc : {true, false}) {
      Marc8Options options;
      options.ligature_halves_fe2x = fe2x;
      options.normalize_nfc = nfc;
      convert(in, options);
    }
  }
  // pymarc's replacement (a space), and one that is no scalar value (falls back to U+FFFD).
  Marc8Options space;
  space.replacement = U' ';
  convert(in, space);
  Marc8Options bad;
  bad.replacement = static_cast<char32_t>(0xD800);
  bad.normalize_nfc = false;
  convert(in, bad);
  return 0;
}
