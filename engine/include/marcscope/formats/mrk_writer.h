#pragma once
// Writing MARCMaker mnemonic text (.mrk), the Library of Congress / MarcEdit text format.

#include <string>

#include "marcscope/model/record.h"

namespace marcscope {

struct MrkOptions {
  bool crlf = false;  ///< MarcEdit writes CRLF line ends; default is LF
};

/// Appends one record: "=LDR  <leader>", one "=TAG  " line per field ('\' for blank indicators
/// and for blanks in control fields, '$' before each subfield code, and "{dollar}", "{lcub}",
/// "{rcub}" for those characters in data), then an empty line.
void write_mrk(const Record& record, std::string& out, const MrkOptions& options = {});

}  // namespace marcscope
