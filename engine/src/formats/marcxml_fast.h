#pragma once
// A fast path for clean MARCXML chunks: a chunk (the document's header, whole records, the root's
// end tag) is parsed in place by pugixml, a non-validating parser, and its records are built only
// when every check below says the expat reader (marcxml_reader.cpp) would read exactly the same
// records with no diagnostic at all. Anything unusual (a DOCTYPE, comments or processing
// instructions among the records, CDATA, entities other than the five predefined ones and valid
// character references, carriage returns, invalid UTF-8 or characters XML cannot hold, namespaces
// other than the plain MARC21 slim or none, unexpected elements, attributes or text, anything the
// expat reader would warn about) makes it refuse the chunk, which then goes to the expat reader
// unchanged: diagnostics are the expat reader's by construction.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "marcscope/read/batch.h"

namespace marcscope::detail {

/// What the fast path needs to know of the document's header (everything before the first record:
/// an optional BOM and XML declaration, then the root's start tag). Absent when the header is not
/// one the fast path reads (then every chunk goes to expat).
struct FastXmlHeader {
  std::string root;                                              ///< the root's qualified name
  std::vector<std::pair<std::string, std::string>> bindings;     ///< namespace declarations on the root
};

std::optional<FastXmlHeader> fast_marcxml_header(std::string_view header);

/// Parses `text` (header.size() bytes of header, then whole records, then the root's end tag and
/// nothing but blanks), changing it in place. On success appends one BatchRecord per record with
/// its offset and end in `text` (number and status left for the caller) and returns true; false
/// (and `out` as it was) when the chunk must go to the expat reader.
/// `iso2709_forms` (ReadOptions::iso2709_forms): each record that write_iso2709 would write as it
/// is comes as its ISO 2709 form (BatchRecord::as_is, `transcoded` and the view laid out over it)
/// instead of a model.
bool fast_marcxml_chunk(std::string& text, std::size_t header_size, const FastXmlHeader& header,
                        std::string_view record_qname, std::string_view root_closing, std::vector<BatchRecord>& out,
                        bool iso2709_forms = false, bool leader_utf8 = true);

}  // namespace marcscope::detail
