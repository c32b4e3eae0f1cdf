#pragma once
// Writing records as ISO 2709 (MARC 21 exchange format), UTF-8.

#include <string>

#include "marcscope/model/record.h"

namespace marcscope {

/// Appends `record` to `out` as ISO 2709: leader/00-04 (record length), leader/12-16 (base
/// address) and the directory are computed; leader/09 is set to 'a' (UTF-8). Every other leader
/// byte is kept, so reading then writing a well-formed UTF-8 record gives back the same bytes.
/// Throws std::length_error when the record or a field exceeds what the format can express
/// (99,999 bytes per record, 9,999 per field).
void write_iso2709(const Record& record, std::string& out);

std::string to_iso2709(const Record& record);

}  // namespace marcscope
