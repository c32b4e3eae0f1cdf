#pragma once

#include "cli_options.h"

namespace marcscope::cli {

/// Exit codes shared by every command.
enum Exit : int { kFine = 0, kProblems = 1, kCannotRun = 2 };

int run_count(const Options& options);
int run_dump(const Options& options);
int run_validate(const Options& options);
int run_convert(const Options& options);
int run_stats(const Options& options);

}  // namespace marcscope::cli
