#pragma once
// Writing MARCMaker mnemonic text (.mrk), the Library of Congress / MarcEdit text format.

#include <cstdint>
#include <string>

#include "marcscope/model/record.h"

namespace marcscope {

struct MrkOptions {
  bool crlf = false;  ///< MarcEdit writes CRLF line ends; default is LF
};

/// Appends one record: "=LDR  <leader>", one "=TAG  " line per field ('\' for blank indicators
/// and for blanks in control fields, '$' before each subfield code, and "{dollar}", "{lcub}",
/// "{rcub}" for those characters in data, two hex digits in braces for control characters), then
/// an empty line. The output is UTF-8 with no ISO 2709 structure byte (0x1D-0x1F) in a value:
/// such bytes and invalid UTF-8 are written as U+FFFD ('?' in a tag, indicator or code).
void write_mrk(const Record& record, std::string& out, const MrkOptions& options = {});
/// The same, reporting what had to be replaced in `diags` against record `number` at `offset`.
void write_mrk(const Record& record, std::string& out, const MrkOptions& options, Diagnostics& diags,
               std::uint64_t number, std::uint64_t offset);

}  // namespace marcscope
