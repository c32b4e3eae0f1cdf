// Fuzz target: MARCXML through the serial reader in every mode, and what it delivers through
// every writer. The invariants are listed in fuzz_stream.h.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  marcscope::fuzz::read_all_modes(marcscope::Format::MarcXml,
                                  std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
