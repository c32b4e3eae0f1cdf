// Replays a fuzz target's corpus without libFuzzer: runs LLVMFuzzerTestOneInput once on every file
// of each directory (or file) named on the command line, in name order. Built with the ordinary
// compiler, so the checked-in corpus runs as a plain CTest test, and under ASan/UBSan in the
// sanitizer build.
//
//   fuzz_record_replay [-q] DIR_OR_FILE...
//
// Exits non-zero when an argument is missing, a directory holds no inputs, or a file cannot be
// read. A crash or broken invariant in the target aborts the process. Each input's name is printed
// before it runs (not with -q), so the last name in the output is the one that failed even when a
// sanitizer ends the process; a signal handler and the sanitizer death callback say it again
// where they can.

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Present only in sanitizer builds: lets us name the input when ASan or UBSan ends the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

char g_current[4096] = "";

void say_current() {
  if (g_current[0] == '\0') return;
  const char* head = "\nfuzz replay: the input that failed is ";
  // Not async-signal-safe in theory; good enough for a process that is dying anyway (stderr is
  // unbuffered).
  std::fputs(head, stderr);
  std::fputs(g_current, stderr);
  std::fputs("\n", stderr);
}

extern "C" void on_signal(int sig) {
  say_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

extern "C" void on_sanitizer_death() { say_current(); }

bool read_file(const fs::path& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = true;
  std::vector<fs::path> inputs;
  int bad_args = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-q") {
      verbose = false;
      continue;
    }
    std::error_code ec;
    const fs::path path(arg);
    if (fs::is_regular_file(path, ec)) {
      inputs.push_back(path);
      continue;
    }
    if (!fs::is_directory(path, ec)) {
      std::fprintf(stderr, "fuzz replay: %s: no such file or directory\n", arg.c_str());
      ++bad_args;
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.') continue;  // .gitkeep and the like
      if (entry.is_regular_file(ec)) found.push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "fuzz replay: %s: %s\n", arg.c_str(), ec.message().c_str());
      ++bad_args;
      continue;
    }
    if (found.empty()) {
      std::fprintf(stderr, "fuzz replay: %s: no inputs in this directory\n", arg.c_str());
      ++bad_args;
      continue;
    }
    std::sort(found.begin(), found.end());
    inputs.insert(inputs.end(), found.begin(), found.end());
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s [-q] CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  if (bad_args != 0) return 1;

  std::signal(SIGABRT, on_signal);
  std::signal(SIGSEGV, on_signal);
  std::signal(SIGILL, on_signal);
  std::signal(SIGFPE, on_signal);
  std::signal(SIGBUS, on_signal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(on_sanitizer_death);

  std::size_t ran = 0;
  std::uintmax_t total = 0;
  std::vector<std::uint8_t> bytes;
  for (const auto& path : inputs) {
    const std::string name = path.string();
    std::snprintf(g_current, sizeof g_current, "%s", name.c_str());
    if (!read_file(path, bytes)) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", name.c_str());
      return 1;
    }
    if (verbose) {
      std::fprintf(stderr, "running %s (%zu bytes)\n", name.c_str(), bytes.size());
      std::fflush(stderr);
    }
    // Copy into an allocation of exactly the input's size, so that ASan sees reads past its end.
    std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
    static const std::uint8_t kEmpty = 0;
    LLVMFuzzerTestOneInput(exact.empty() ? &kEmpty : exact.data(), exact.size());
    ++ran;
    total += bytes.size();
  }
  g_current[0] = '\0';
  std::printf("fuzz replay: ran %zu inputs (%ju bytes)\n", ran, total);
  return ran == 0 ? 1 : 0;
}
