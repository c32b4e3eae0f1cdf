// marcscope: the command-line tool. Parsing and dispatch only; the work is in commands.cpp.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_options.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace marcscope::cli;
  install_interrupt_handling();
  std::vector<std::string> args(argv + 1, argv + argc);
  Options options;
  try {
    options = parse_options(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "marcscope: %s\n", e.message.c_str());
    return kCannotRun;
  }
  switch (options.command) {
    case Command::Help: std::fputs(help_text(options.help_topic).c_str(), stdout); return kFine;
    case Command::Version: std::puts("marcscope " MARCSCOPE_VERSION); return kFine;
    case Command::Count: return run_count(options);
    case Command::Dump: return run_dump(options);
    case Command::Validate: return run_validate(options);
    case Command::Convert: return run_convert(options);
    case Command::Stats: return run_stats(options);
  }
  return kCannotRun;
}
