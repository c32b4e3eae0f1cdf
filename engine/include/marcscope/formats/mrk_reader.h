#pragma once
// Reading one record typed as MARCMaker text (.mrk): what the desktop app's record editor checks
// as the cataloguer types. Files of MARCMaker text are read by open_record_stream(Format::Mrk).

#include <cstdint>
#include <string_view>
#include <vector>

#include "marcscope/core/diagnostic.h"
#include "marcscope/model/record.h"

namespace marcscope {

struct MrkRecordText {
  Record record;             ///< what the text holds (lines that cannot be read are left out)
  /// One record was read and no line had to be ignored or guessed at (no Error in diagnostics):
  /// the record is what the text says.
  bool readable = false;
  Diagnostics diagnostics;   ///< reading's problems; `record` is the number given, `offset` a byte offset in the text
  std::vector<std::uint32_t> diagnostic_lines;  ///< 1-based line of each diagnostic (0: the text as a whole)
  std::uint32_t leader_line = 0;                ///< line of =LDR (0: none)
  std::vector<std::uint32_t> field_lines;       ///< line of each of record.fields()

  /// The line of field `field` (-1 or out of range: 0).
  std::uint32_t line_of_field(std::int32_t field) const {
    return field >= 0 && static_cast<std::size_t>(field) < field_lines.size() ? field_lines[static_cast<std::size_t>(field)] : 0;
  }
};

/// Reads `text` as one MARCMaker record (record `number` for its diagnostics). A blank line ends a
/// record in MARCMaker, so text holding a second record is an error placed on that record's first
/// line; so is text with no record. Never throws for bad text.
MrkRecordText read_mrk_record(std::string_view text, std::uint64_t number = 1);

}  // namespace marcscope
