#include "marcscope/core/diagnostic.h"

#include <algorithm>

#include "marcscope/charset/utf8.h"

namespace marcscope {

namespace {

void keep_utf8(std::string& s) {
  if (is_valid_utf8(s)) return;
  std::string fixed;
  append_utf8_replacing(s, fixed);
  s = std::move(fixed);
}

}  // namespace

Diagnostic::Diagnostic(Severity severity_, Code code_, std::uint64_t record_, std::uint64_t offset_, std::string tag_,
                       char subfield_, std::string message_, std::string rule_)
    : severity(severity_), code(code_), record(record_), offset(offset_), tag(std::move(tag_)), subfield(subfield_),
      message(std::move(message_)), rule(std::move(rule_)) {
  keep_utf8(tag);
  keep_utf8(message);
}

std::string_view code_name(Code code) {
  switch (code) {
    case Code::JunkBetweenRecords: return "junk-between-records";
    case Code::TrailingBytes: return "trailing-bytes";
    case Code::LeaderLengthInvalid: return "leader-length-invalid";
    case Code::RecordTooShort: return "record-too-short";
    case Code::RecordLengthMismatch: return "record-length-mismatch";
    case Code::RecordTruncated: return "record-truncated";
    case Code::MissingRecordTerminator: return "missing-record-terminator";
    case Code::LeaderInvalidDigits: return "leader-invalid-digits";
    case Code::LeaderUnusualValue: return "leader-unusual-value";
    case Code::BaseAddressInvalid: return "base-address-invalid";
    case Code::BaseAddressMismatch: return "base-address-mismatch";
    case Code::DirectoryInvalid: return "directory-invalid";
    case Code::DirectoryEntryInvalid: return "directory-entry-invalid";
    case Code::TagInvalid: return "tag-invalid";
    case Code::FieldOutOfBounds: return "field-out-of-bounds";
    case Code::FieldMissingTerminator: return "field-missing-terminator";
    case Code::FieldOverlap: return "field-overlap";
    case Code::NoFields: return "no-fields";
    case Code::IndicatorsMissing: return "indicators-missing";
    case Code::SubfieldDelimiterMissing: return "subfield-delimiter-missing";
    case Code::SubfieldCodeMissing: return "subfield-code-missing";
    case Code::SubfieldCodeInvalid: return "subfield-code-invalid";
    case Code::ControlCharacter: return "control-character";
    case Code::InvalidUtf8: return "invalid-utf8";
    case Code::Marc8UnknownEscape: return "marc8-unknown-escape";
    case Code::Marc8UnmappedCode: return "marc8-unmapped-code";
    case Code::Marc8TruncatedSequence: return "marc8-truncated-sequence";
    case Code::EncodingLeaderLies: return "encoding-leader-lies";
    case Code::RecordRepaired: return "record-repaired";
    case Code::RecordSkipped: return "record-skipped";
    case Code::NotMarc: return "not-marc";
    case Code::XmlSyntaxError: return "xml-syntax-error";
    case Code::JsonSyntaxError: return "json-syntax-error";
    case Code::MrkSyntaxError: return "mrk-syntax-error";
    case Code::RecordStructureInvalid: return "record-structure-invalid";
    case Code::NoMarc8Equivalent: return "no-marc8-equivalent";
    case Code::IndicatorInvalid: return "indicator-invalid";
    case Code::RuleViolation: return "rule-violation";
    case Code::DataOutsideFields: return "data-outside-fields";
    case Code::StructureByteInData: return "structure-byte-in-data";
    case Code::StructureOnly: return "structure-only";
    case Code::InputDamaged: return "input-damaged";
  }
  return "unknown";
}

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    case Severity::Fatal: return "fatal";
  }
  return "unknown";
}

std::optional<Severity> parse_severity(std::string_view name) {
  for (Severity s : {Severity::Info, Severity::Warning, Severity::Error, Severity::Fatal})
    if (severity_name(s) == name) return s;
  return std::nullopt;
}

Severity default_severity(Code code) {
  switch (code) {
    case Code::JunkBetweenRecords:
    case Code::TrailingBytes:
    case Code::LeaderUnusualValue:
    case Code::TagInvalid:
    case Code::ControlCharacter:
    case Code::EncodingLeaderLies:
    case Code::SubfieldCodeInvalid:
    case Code::NoMarc8Equivalent:
    case Code::IndicatorInvalid:
    case Code::RuleViolation:
    case Code::InvalidUtf8:
    case Code::Marc8UnknownEscape:
    case Code::Marc8UnmappedCode:
    case Code::Marc8TruncatedSequence:
    case Code::StructureByteInData:
      return Severity::Warning;
    case Code::RecordRepaired:
    case Code::StructureOnly:
      return Severity::Info;
    case Code::NotMarc:
      return Severity::Fatal;
    default:
      return Severity::Error;
  }
}

std::string Diagnostic::to_string() const {
  std::string s;
  if (record != 0) {
    s += "record ";
    s += std::to_string(record);
    s += " at byte ";
  } else {
    s += "byte ";
  }
  s += std::to_string(offset);
  if (!tag.empty()) {
    s += ", field ";
    s += tag;
    if (subfield != 0) {
      s += " $";
      const auto c = static_cast<unsigned char>(subfield);
      if (c > 0x20 && c < 0x7F) {
        s += subfield;
      } else {
        s += "(0x";
        s += "0123456789ABCDEF"[c >> 4];
        s += "0123456789ABCDEF"[c & 15];
        s += ')';
      }
    }
  }
  s += ": ";
  s += severity_name(severity);
  s += ": ";
  s += message;
  s += " [";
  s += code_name(code);
  if (!rule.empty()) {
    s += ": ";
    s += rule;
  }
  s += "]";
  return s;
}

Severity max_severity(const Diagnostics& diags) {
  Severity worst = Severity::Info;
  for (const auto& d : diags) worst = std::max(worst, d.severity);
  return worst;
}

}  // namespace marcscope
