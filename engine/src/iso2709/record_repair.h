#pragma once
// Internal to stage 2: reading a record whose directory does not describe its data (the slow
// path of RecordView::parse).

#include <cstddef>
#include <string_view>
#include <vector>

#include "marcscope/iso2709/record_view.h"
#include "record_bytes.h"

namespace marcscope::stage2 {

/// Reads the fields of `bytes` (one record, leader already checked) when the fast path found its
/// directory, base address or field terminators in disagreement, or bytes the fields do not
/// account for. `body_end` is where the data ends (before the record terminator, if any).
/// Reports through `report` and fills `fields` with views into `bytes`. Returns false when no
/// record can be read from the bytes: no directory, no fields, or (Recover) a directory that does
/// not describe the data, whose tags would be invented.
bool read_damaged_record(std::string_view bytes, std::size_t body_end, Report& report,
                         std::vector<FieldView>& fields);

}  // namespace marcscope::stage2
