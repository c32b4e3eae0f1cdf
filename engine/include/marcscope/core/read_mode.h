#pragma once

#include <cstdint>
#include <string_view>

namespace marcscope {

/// How a reader treats a structurally broken record.
enum class ReadMode : std::uint8_t {
  Strict,      ///< the first structural error stops reading (a Fatal diagnostic says where)
  Permissive,  ///< a bad record is skipped with diagnostics; reading resumes at the next terminator
  Recover,     ///< bad records are repaired where a careful librarian would, and delivered marked repaired
};

std::string_view read_mode_name(ReadMode mode);
/// Parses "strict", "permissive" or "recover"; returns false for anything else.
bool parse_read_mode(std::string_view text, ReadMode& mode);

}  // namespace marcscope
