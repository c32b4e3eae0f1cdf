#pragma once
// Diagnostics are plain values: the engine reports, the caller (CLI, GUI, Python) decides how to show them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace marcscope {

enum class Severity : std::uint8_t { Info, Warning, Error, Fatal };

/// Stable diagnostic codes. The kebab-case names from code_name() are part of the public
/// interface (CLI output, JSON reports, user rule files): never rename one, only add.
enum class Code : std::uint16_t {
  // Stage 1: finding record boundaries.
  JunkBetweenRecords,      ///< newlines, 0x1A, NUL or spaces outside any record
  TrailingBytes,           ///< bytes after the last record that form no record
  LeaderLengthInvalid,     ///< leader/00-04 is not five digits
  RecordTooShort,          ///< shorter than a 24-byte leader plus directory terminator
  RecordLengthMismatch,    ///< leader/00-04 disagrees with where the record terminator is
  RecordTruncated,         ///< the input ends inside a record
  MissingRecordTerminator, ///< the byte at the declared end is not 0x1D
  // Stage 2: decoding one record.
  LeaderInvalidDigits,     ///< a numeric leader position holds blanks, '^' or letters
  LeaderUnusualValue,      ///< leader/10-11 not "22" or leader/20-23 not "4500"
  BaseAddressInvalid,      ///< leader/12-16 is not a number inside the record
  BaseAddressMismatch,     ///< leader/12-16 disagrees with the end of the directory
  DirectoryInvalid,        ///< directory missing its terminator or not a multiple of 12
  DirectoryEntryInvalid,   ///< an entry's length or start is not numeric
  TagInvalid,              ///< a tag holds characters other than letters and digits
  FieldOutOfBounds,        ///< a field's start or length runs off the record
  FieldMissingTerminator,  ///< a field does not end with 0x1E
  FieldOverlap,            ///< two directory entries share bytes
  NoFields,                ///< the record has no fields at all
  IndicatorsMissing,       ///< a data field shorter than its indicators
  SubfieldDelimiterMissing,///< bytes after the indicators before the first 0x1F
  SubfieldCodeMissing,     ///< 0x1F at the end of a field, with no code after it
  SubfieldCodeInvalid,     ///< a subfield code that is not a printable ASCII character
  ControlCharacter,        ///< a control character inside field data
  // Character sets.
  InvalidUtf8,             ///< bytes that are not UTF-8 in a record read as UTF-8
  Marc8UnknownEscape,      ///< an escape sequence naming no known MARC-8 set
  Marc8UnmappedCode,       ///< a MARC-8 code with no character in the active set
  Marc8TruncatedSequence,  ///< a multibyte (EACC) character or escape cut short
  EncodingLeaderLies,      ///< leader/09 disagrees with the bytes (UTF-8 under blank, or the reverse)
  // Record level outcome.
  RecordRepaired,          ///< recover mode changed the record; the other diagnostics say how
  RecordSkipped,           ///< permissive mode dropped the record; the other diagnostics say why
  NotMarc,                 ///< the input does not look like ISO 2709 at all
  // Other formats (MARCXML, MARC-in-JSON, MARCMaker text) and writing.
  XmlSyntaxError,          ///< malformed XML: the message gives line and column
  JsonSyntaxError,         ///< malformed JSON: the message gives line and column
  MrkSyntaxError,          ///< a MARCMaker line that cannot be read
  RecordStructureInvalid,  ///< a record element/object lacking what a record needs (leader, tag ...)
  NoMarc8Equivalent,       ///< a character with no MARC-8 form, written as a numeric character reference
  IndicatorInvalid,        ///< an indicator that is not a lowercase letter, digit or blank
  // Validation against a schema and content rules (validator.h); Diagnostic::rule names the rule.
  RuleViolation,           ///< a record breaks a validation rule (unknown tag, bad indicator, bad ISBN ...)
  // Added later; at the end so that no code changes its number.
  DataOutsideFields,       ///< bytes of a record's data that no field holds (after a field's terminator or the last field)
  StructureByteInData,     ///< 0x1D, 0x1E or 0x1F (record/field terminator, subfield delimiter) inside a value or as a code: replaced
  StructureOnly,           ///< a record of a MARC 21 format the schema does not describe: only structural rules were applied
  InputDamaged,            ///< the input ends early where it is damaged (a gzip stream truncated or corrupt): nothing after it could be read
  // Add new codes above this line; never reorder or rename.
};

std::string_view code_name(Code code);
std::string_view severity_name(Severity severity);
/// The severity severity_name() names ("info", "warning", "error", "fatal"), or nullopt.
std::optional<Severity> parse_severity(std::string_view name);
/// Default severity for a code; callers may override it.
Severity default_severity(Code code);

struct Diagnostic {
  Severity severity = Severity::Error;
  Code code = Code::NotMarc;
  std::uint64_t record = 0;  ///< 1-based record number in the input; 0 = not tied to a record
  std::uint64_t offset = 0;  ///< byte offset in the input where the problem is
  std::string tag;           ///< field tag where known, else empty
  char subfield = 0;         ///< subfield code where known, else 0
  std::string message;       ///< one line a librarian understands
  std::string rule;          ///< for Code::RuleViolation: the stable rule id ("invalid-indicator"), else empty
  std::int32_t field = -1;   ///< index of the field in its record where known, else -1

  Diagnostic() = default;
  /// Every output of the engine is UTF-8: a tag or message that quotes bytes which are not
  /// (a cut character, a raw byte of a broken record) gets U+FFFD in their place here.
  Diagnostic(Severity severity_, Code code_, std::uint64_t record_, std::uint64_t offset_, std::string tag_,
             char subfield_, std::string message_, std::string rule_ = {});

  /// "record 12 at byte 4711, field 245 $a: message [code]" or "... [rule-violation: rule]"
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

/// Highest severity in a list (Info when empty).
Severity max_severity(const Diagnostics& diags);

}  // namespace marcscope
