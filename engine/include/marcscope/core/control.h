#pragma once
// What a long call is told from outside (stop) and tells back (progress). Every engine call that
// may take seconds - reading a whole input, indexing, validating, statistics - takes a JobControl.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>

namespace marcscope {

struct Progress {
  std::uint64_t records = 0;                ///< records seen so far, delivered or skipped
  std::uint64_t bytes = 0;                  ///< input bytes consumed so far
  std::optional<std::uint64_t> total_bytes; ///< the input's size when known
  double seconds = 0;                       ///< since the job started
};

using ProgressCallback = std::function<void(const Progress&)>;

struct JobControl {
  /// Asked to stop (std::stop_source::request_stop, from any thread), the job stops at the next
  /// batch boundary, hands over what it finished, and returns normally.
  std::stop_token stop;
  /// Called from the job's delivering thread at most every `progress_interval`, and once at the end.
  ProgressCallback progress;
  std::chrono::milliseconds progress_interval{200};
};

/// Calls a JobControl's progress callback no more often than its interval (one per job; not thread-safe).
class ProgressThrottle {
 public:
  explicit ProgressThrottle(const JobControl& control)
      : control_(control), started_(std::chrono::steady_clock::now()), last_(started_) {}

  /// Reports when the interval has passed since the last report (always when `force`).
  void report(std::uint64_t records, std::uint64_t bytes, std::optional<std::uint64_t> total, bool force = false) {
    if (!control_.progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < control_.progress_interval) return;
    last_ = now;
    control_.progress({records, bytes, total, std::chrono::duration<double>(now - started_).count()});
  }

 private:
  const JobControl& control_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace marcscope
