#pragma once

#include "cli_options.h"

namespace marcscope::cli {

/// Exit codes shared by every command.
enum Exit : int { kFine = 0, kProblems = 1, kCannotRun = 2 };

/// Ctrl-C (SIGINT) and SIGTERM stop the command's job: it stops reading, leaves an output file
/// as it was (the partial file is removed), says so and exits with 128 + the signal's number. A
/// second one ends the process at once. Call first thing in main(), before any thread starts
/// (they inherit the signals blocked: one thread waits for them).
void install_interrupt_handling();

int run_count(const Options& options);
int run_dump(const Options& options);
int run_validate(const Options& options);
int run_convert(const Options& options);
int run_stats(const Options& options);

}  // namespace marcscope::cli
