#pragma once
// Small string helpers the engine's hot paths share.

#include <memory>
#include <string>
#include <string_view>

namespace marcscope::detail {

/// Gives `s` the value `bytes` by ending its lifetime and constructing a new string in its place:
/// one copy, without assign()'s aliasing checks or a temporary's second copy. `bytes` must not
/// point into `s` (meant for a fresh, empty member).
inline void construct_into(std::string& s, std::string_view bytes) {
  std::destroy_at(&s);
  try {
    std::construct_at(&s, bytes.data(), bytes.size());
  } catch (...) {
    std::construct_at(&s);  // leave a valid (empty) string behind
    throw;
  }
}

}  // namespace marcscope::detail
