#pragma once
// Writing records as ISO 2709 (MARC 21 exchange format), UTF-8.

#include <cstdint>
#include <string>

#include "marcscope/core/diagnostic.h"
#include "marcscope/model/record.h"

namespace marcscope {

struct Iso2709WriteOptions {
  /// Values are UTF-8 and leader/09 becomes 'a'; bytes that are not UTF-8 are written as U+FFFD.
  /// False: values are MARC-8 already (utf8_to_marc8's output), written as they are, and
  /// leader/09 becomes blank.
  bool utf8 = true;
  /// Values are bytes as read (DecodeOptions::raw: pymarc's to_unicode=False): written as they
  /// are (structure bytes aside) and leader/09 kept, whatever `utf8` says.
  bool raw = false;
  /// leader/10-11 and 20-23 kept as the record has them, not set to "22" and "4500" (pymarc's
  /// as_marc(), which computes only the lengths, the base address and leader/09).
  bool keep_leader = false;
};

/// Appends `record` to `out` as ISO 2709. The writer describes what it writes: leader/00-04
/// (record length), leader/12-16 (base address) and the directory are computed, leader/09 says
/// the character coding, leader/10-11 is "22" (two indicators, one-character subfield codes) and
/// leader/20-23 "4500" (the directory's entry map; both kept with `keep_leader`). Every other
/// leader byte is kept, so reading
/// then writing a well-formed UTF-8 record gives back the same bytes.
/// No value gains structure: 0x1D, 0x1E or 0x1F inside a value (or in the leader) is written as
/// U+FFFD (a blank in the leader, '?' in MARC-8 values), and as '?' in a tag, an indicator or a
/// subfield code; each is reported in `diags` against record `number` at byte `offset` of its
/// input, as is invalid UTF-8.
/// Throws std::length_error when the record or a field exceeds what the format can express
/// (99,999 bytes per record, 9,999 per field) and std::invalid_argument for a tag that is not 3
/// bytes long; `out` is then unchanged.
void write_iso2709(const Record& record, std::string& out, Diagnostics& diags, std::uint64_t number,
                   std::uint64_t offset, const Iso2709WriteOptions& options = {});

/// The same with nowhere to report what was replaced.
void write_iso2709(const Record& record, std::string& out);

std::string to_iso2709(const Record& record);

class RecordView;
/// Appends a record that decodes_as_is() accepts, from its view: the bytes write_iso2709 (UTF-8)
/// writes for Record::from_view(view), with no diagnostic. Returns false, with nothing appended,
/// when the record or a field is too long for the format (write_iso2709 would throw).
bool write_iso2709_view(const RecordView& view, std::string& out);

}  // namespace marcscope
