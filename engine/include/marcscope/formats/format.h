#pragma once
// The formats the engine reads and writes, their names, and detection from the first bytes.

#include <cstdint>
#include <string>
#include <string_view>

namespace marcscope {

enum class Format : std::uint8_t {
  Iso2709,       ///< MARC 21 exchange format (UTF-8 or MARC-8 by leader/09)
  Iso2709Marc8,  ///< write only: ISO 2709 with MARC-8 character coding (leader/09 blank)
  MarcXml,       ///< LoC MARC21 slim
  Json,          ///< MARC-in-JSON: one array of records (a single object also reads)
  NdJson,        ///< MARC-in-JSON, one record per line
  Mrk,           ///< MARCMaker / MarcEdit mnemonic text
  Csv,           ///< write only: chosen columns
  Unknown,
};

std::string_view format_name(Format format);
/// Accepts the names format_name() gives plus common aliases (marc, mrc, xml, marcxml, mij ...).
bool parse_format_name(std::string_view name, Format& format);
/// Guesses the format from the first bytes of the input (content first, `path` extension only
/// to break ties). Returns Unknown when nothing fits.
Format detect_format(std::string_view head, std::string_view path = {});
/// Whether detect_format() and marc_evidence() of `head` are what they would be of any longer
/// head of the same input (without the path's help): a reader of a pipe or a socket decides
/// as soon as this is true instead of waiting for 64 KB, so that a slow writer's first records
/// are not held back. False while more bytes could change the answer.
bool detection_settled(std::string_view head);

enum class MarcEvidence : std::uint8_t { Yes, No, Unsure };

/// Whether the first bytes of an input in `format` hold MARC: No for a JSON document whose first
/// object has no "leader" and no "fields" (or that is not an object or an array of objects), or
/// XML with no <record> element; Unsure when `head` is cut before it can tell (`whole` says it
/// is the whole input). `why`, when No, receives what the input is instead.
MarcEvidence marc_evidence(Format format, std::string_view head, bool whole, std::string* why = nullptr);

}  // namespace marcscope
