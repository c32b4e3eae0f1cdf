#pragma once
// MARC-in-JSON and NDJSON in record-aligned chunks (for the stream pipeline), and a fast path for
// clean chunks: a chunk is parsed by simdjson (the DOM API, one record per line; its kernel is
// chosen at run time, where On-Demand's is fixed at build time), and its records are built only when
// every check says the streaming reader (json_reader.cpp) would read exactly the same records with
// no diagnostic at all. Anything else (invalid JSON or UTF-8, raw control characters, null or
// numbers or booleans anywhere, keys other than the ones MiJ has, a leader or tag or indicator or
// subfield code the reader would warn about, a field object with other than one tag, a data field
// without subfields, a record without leader or fields, structure bytes in a value, records split
// over lines in NDJSON, anything after the records) makes it refuse the chunk, which then goes to
// the streaming reader unchanged: diagnostics are that reader's by construction.
//
// Two shapes are cut, told apart by the first character after an optional BOM and blanks:
//   - one JSON array of records: a chunk ends just before a '{"leader"' that follows the previous
//     record's '}' and a comma (blanks allowed around the comma); a chunk other than the first is
//     read as "[" + its records + "]", the first as the file's start + its records + "]";
//   - objects one after another (NDJSON, or MiJ objects): a chunk ends just before a '{' that
//     starts a line.
// A cut in an unexpected place (inside a string, a nested object that looks like a record) leaves
// the chunk before it broken, so it gives a diagnostic and the stream pipeline hands the file to the
// serial reader from there: the cut need only be right when the chunks come out clean.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "marcscope/read/batch.h"

namespace marcscope::detail {

struct JsonPlan {
  bool array = false;         ///< one JSON array of records; else objects one after another
  std::size_t first = 0;      ///< where the first record's '{' is
};

/// How `doc` can be cut, or absent when it does not start like MiJ (an array whose first element
/// is an object, or an object).
std::optional<JsonPlan> plan_json(std::string_view doc);

/// Where the chunk that starts at `begin` ends: at the first record start at or after
/// begin + target, or doc.size() when there is none.
std::size_t json_chunk_end(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t target);

/// The text the streaming reader reads for the chunk [begin, end) (end == doc.size(): the last
/// one), and in `lead` how many bytes were put before the chunk's own bytes (offset t in the text
/// is offset begin + t - lead in the file).
std::string json_chunk_text(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t end,
                            std::size_t& lead);

/// The fast path for the chunk [begin, end) of `doc`: on success appends one BatchRecord per
/// record (offset and end in the file; number and status left for the caller) and returns true;
/// false (and `out` as it was) when the chunk must go to the streaming reader.
bool fast_json_chunk(std::string_view doc, const JsonPlan& plan, std::size_t begin, std::size_t end,
                     std::vector<BatchRecord>& out, bool leader_utf8 = true);

}  // namespace marcscope::detail
