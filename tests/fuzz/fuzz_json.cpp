// Fuzz target: the same bytes as MARC-in-JSON (an array of records, or one record) and as NDJSON
// (a record per line), each through the serial reader in every mode, and what they deliver
// through every writer. The invariants are listed in fuzz_stream.h.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  marcscope::fuzz::read_all_modes(marcscope::Format::Json, input);
  marcscope::fuzz::read_all_modes(marcscope::Format::NdJson, input);
  return 0;
}
