#pragma once
// Where the parts of one ISO 2709 record lie in its bytes: leader, directory (entry by entry),
// each field's data and the record terminator. What a hex view colours; it never throws and
// reads any bytes, broken records included (what cannot be placed is left out).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace marcscope {

struct ByteRegion {
  enum class Kind : std::uint8_t { Leader, DirectoryEntry, DirectoryTerminator, Field, RecordTerminator };
  Kind kind = Kind::Leader;
  std::uint32_t offset = 0;  ///< from the record's first byte
  std::uint32_t length = 0;
  std::string tag;           ///< DirectoryEntry and Field
  std::int32_t field = -1;   ///< DirectoryEntry and Field: the entry's index in the directory
};

/// The regions of `bytes` (one record from its leader on), in byte order, clipped to `bytes`.
std::vector<ByteRegion> record_layout(std::string_view bytes);

}  // namespace marcscope
