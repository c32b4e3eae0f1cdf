#pragma once
// Choosing and applying a record's character set.

#include <cstdint>
#include <string>
#include <string_view>

#include "marcscope/core/diagnostic.h"
#include "marcscope/charset/marc8.h"

namespace marcscope {

class RecordView;

enum class Encoding : std::uint8_t { Utf8, Marc8 };

enum class EncodingChoice : std::uint8_t {
  FromLeader,  ///< leader/09 'a' = UTF-8, anything else = MARC-8 (what the standard says)
  ForceUtf8,
  ForceMarc8,
  /// Trust the bytes, in both directions: a record declared MARC-8 whose bytes are valid UTF-8
  /// with multi-byte sequences (and no ESC) is read as UTF-8; a record declared UTF-8 that is not
  /// valid UTF-8 (or holds ESC) is read as MARC-8 when reads_cleanly_as_marc8() says it can be
  /// and no valid multi-byte UTF-8 sequence is in it. Each override is an EncodingLeaderLies
  /// warning naming the record and what was assumed.
  Auto,
};

enum class InvalidUtf8Policy : std::uint8_t {
  Replace,  ///< U+FFFD in place of each bad sequence, with a warning diagnostic
  Error,    ///< same replacement, but reported as an error (the record counts as having problems)
  Drop,     ///< each bad sequence removed (Python's errors="ignore"), with a warning diagnostic
};

struct DecodeOptions {
  EncodingChoice encoding = EncodingChoice::FromLeader;
  InvalidUtf8Policy invalid_utf8 = InvalidUtf8Policy::Replace;
  /// Report records whose leader/09 disagrees with their bytes (Code::EncodingLeaderLies).
  bool detect_leader_lies = true;
  /// Keep every value's bytes as read: no character set conversion and no checks (pymarc's
  /// to_unicode=False). The Record then holds the input's encoding, not UTF-8.
  bool raw = false;
  /// Set leader/09 to 'a' in decoded records (the model is UTF-8, and writers write UTF-8);
  /// false keeps it as read, or as a MARCXML, MARC-in-JSON or .mrk document writes it (pymarc keeps it).
  bool leader_utf8 = true;
  /// Keep the values of records read as MARC-8 as bytes as read (no conversion, no checks), and
  /// decode the others: for a front end that converts non-UTF-8 records from a character set
  /// the engine does not know (pymarc's file_encoding). `raw` keeps every record's bytes.
  bool raw_marc8 = false;
  Marc8Options marc8;
};

/// What the bytes of a record look like, independent of what leader/09 says.
struct EncodingEvidence {
  bool has_high_bytes = false;   ///< any byte >= 0x80
  bool has_escape = false;       ///< any ESC (0x1B): MARC-8 escape sequences
  bool valid_utf8 = true;        ///< every field is valid UTF-8
  bool has_multibyte_utf8 = false;
};

EncodingEvidence examine_encoding(const RecordView& record);

/// True when every value of `record` converts from MARC-8 without a problem (no unknown escape,
/// no code missing from its set, nothing cut short) and every combining mark has a letter to
/// carry it (none at the start of a value or after a blank or a control character: MARC-8
/// puts marks before the letter they modify, so a single-byte code page read as MARC-8 leaves
/// its accented letters at word ends as marks on the blank that follows).
bool reads_cleanly_as_marc8(const RecordView& record, const Marc8Options& options = {});

/// Decides the encoding for a record, appending an EncodingLeaderLies diagnostic when asked to
/// detect it and the evidence contradicts leader/09.
/// When `evidence` is given it receives what was found (valid_utf8 is only meaningful when the
/// bytes were examined, which `examined` says).
Encoding choose_encoding(const RecordView& record, const DecodeOptions& options, Diagnostics& diags,
                         EncodingEvidence* evidence = nullptr, bool* examined = nullptr);

/// True when MARC-8 decoding copies `s` as it is: no byte above ASCII, no ESC, no '&' (a
/// numeric character reference may start there). Eight bytes at a time.
inline bool is_marc8_passthrough(std::string_view s) {
  using namespace detail;
  return no_byte(s, 0x2020202020202020ull, [](std::uint64_t w) {
    return (w & kHigh) | has_zero_byte(w ^ 0x1B1B1B1B1B1B1B1Bull) | has_zero_byte(w ^ 0x2626262626262626ull);
  });
}

/// Converts one raw value to UTF-8 (appending to `out`), reporting problems against `tag`/`code`
/// at absolute byte offset `offset` of record number `record`.
void decode_value(std::string_view raw, Encoding encoding, const DecodeOptions& options, std::string& out,
                  Diagnostics& diags, std::uint64_t record, std::uint64_t offset, std::string_view tag,
                  char code);

}  // namespace marcscope
