#pragma once
// Shared by the fuzz targets: a check that stays on in release builds and says which invariant
// broke before aborting, so that libFuzzer saves the input and the replay test names it.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "\nfuzz invariant violated: %s\n  check: %s\n  at %s:%d\n", what, \
                   #cond, __FILE__, __LINE__);                                              \
      std::fflush(stderr);                                                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
