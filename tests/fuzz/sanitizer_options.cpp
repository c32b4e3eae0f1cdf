// Linked only into the libFuzzer executables. UBSan is compiled recoverable there so that a known,
// reported issue can be silenced with a suppressions file (UBSAN_OPTIONS=suppressions=FILE, see
// README.md) while fuzzing goes on; by default every report still stops the run, so libFuzzer
// saves the input.

extern "C" const char* __ubsan_default_options();
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
