// Build-time tool: compiles an Avram JSON schema to the binary form the engine embeds
// (Schema::to_binary), and checks that the binary reads back to the same schema.
#include <cstdio>
#include <fstream>

#include "marcscope/validate/validator.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: marcscope-schema-compiler SCHEMA.json OUT.bin\n");
    return 2;
  }
  try {
    const marcscope::Schema schema = marcscope::Schema::load(argv[1]);
    const std::string binary = schema.to_binary();
    if (marcscope::Schema::from_binary(binary).to_binary() != binary) {
      std::fprintf(stderr, "marcscope-schema-compiler: %s does not read back the same\n", argv[1]);
      return 1;
    }
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out.write(binary.data(), static_cast<std::streamsize>(binary.size()));
    if (!out) {
      std::fprintf(stderr, "marcscope-schema-compiler: cannot write %s\n", argv[2]);
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "marcscope-schema-compiler: %s\n", e.what());
    return 1;
  }
  return 0;
}
