#include "job.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

namespace marcscope::python {

namespace {

using Clock = std::chrono::steady_clock;

/// How often the waiting thread looks at signals: Ctrl-C takes effect within about this, plus
/// the job's own time to reach its next batch.
constexpr auto kSignalPoll = std::chrono::milliseconds(50);

double seconds_now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

void check_interval(double interval) {
  if (!(interval > 0) || interval > 86400) throw py::value_error("progress_interval must be a number of seconds above 0");
}

/// Calls `progress` with the figures (GIL held); true when it returned False.
bool call_progress(const py::object& progress, std::uint64_t records, std::uint64_t bytes,
                   std::optional<std::uint64_t> total, double seconds) {
  py::object t = total ? py::object(py::int_(*total)) : py::object(py::none());
  py::object r = progress(records, bytes, t, seconds);  // an exception: py::error_already_set
  return r.ptr() == Py_False;
}

}  // namespace

JobEnd run_job(const std::function<void(const JobControl&, const JobFinishing&)>& job, const py::object& progress,
               double interval, JobStream* stream) {
  check_interval(interval);
  const auto every = std::max<Clock::duration>(
      std::chrono::milliseconds(1), std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval)));
  struct Shared {
    std::mutex mutex;
    std::condition_variable ended;
    bool done = false;
    bool woken = false;      ///< the job has results for stream->drain
    bool finishing = false;  ///< the job is making its result final: it can no longer be cancelled
    bool cancelled = false;  ///< the callback asked it to stop first
    std::optional<Progress> latest;
    std::exception_ptr error;
  } shared;
  std::stop_source stop;
  JobControl control;
  control.stop = stop.get_token();
  // The engine's figures are noted as they come (its delivering thread, at most this often); the
  // waiting thread passes the latest on.
  control.progress_interval = std::chrono::milliseconds(std::max<long long>(
      1, std::min<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(every).count() / 2, 100)));
  control.progress = [&shared](const Progress& p) {
    std::lock_guard lock(shared.mutex);
    shared.latest = p;
  };

  const JobFinishing finishing = [&shared, &stop] {
    std::lock_guard lock(shared.mutex);
    if (shared.cancelled || stop.stop_requested()) return false;
    shared.finishing = true;
    return true;
  };

  if (stream != nullptr)
    stream->wake = [&shared] {
      std::lock_guard lock(shared.mutex);
      shared.woken = true;
      shared.ended.notify_all();
    };

  std::thread worker([&] {
    try {
      job(control, finishing);
    } catch (...) {
      std::lock_guard lock(shared.mutex);
      shared.error = std::current_exception();
    }
    std::lock_guard lock(shared.mutex);
    shared.done = true;
    shared.ended.notify_all();
  });
  // However this function is left, the job is asked to stop and waited for (without the GIL:
  // other Python threads go on meanwhile) before anything it refers to goes away.
  struct Join {
    std::stop_source& stop;
    std::thread& worker;
    ~Join() {
      if (!worker.joinable()) return;
      stop.request_stop();
      py::gil_scoped_release nogil;
      worker.join();
    }
  } join{stop, worker};

  bool asked_to_stop = false;
  auto next_report = Clock::now() + every;
  for (;;) {
    bool done = false;
    std::optional<Progress> latest;
    {
      py::gil_scoped_release nogil;
      std::unique_lock lock(shared.mutex);
      shared.ended.wait_for(lock, std::min<Clock::duration>(kSignalPoll, every),
                            [&] { return shared.done || shared.woken; });
      shared.woken = false;
      done = shared.done;
      latest = shared.latest;
    }
    // A job that has ended is not stopped any more: its result is returned (a signal that came
    // meanwhile is raised by the interpreter once this returns).
    if (done) break;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Join stops the job first
    if (stream != nullptr && stream->drain) stream->drain();         // as may this
    if (!progress.is_none() && !asked_to_stop && latest && Clock::now() >= next_report) {
      next_report = Clock::now() + every;
      if (call_progress(progress, latest->records, latest->bytes, latest->total_bytes, latest->seconds)) {
        asked_to_stop = true;
        std::lock_guard lock(shared.mutex);
        if (!shared.finishing) {
          shared.cancelled = true;
          stop.request_stop();
        }
      }
    }
  }
  {
    py::gil_scoped_release nogil;
    worker.join();
  }
  if (shared.error) std::rethrow_exception(shared.error);
  // What the job handed over after the last wake-up (all of it, however it ended).
  if (stream != nullptr && stream->drain) stream->drain();
  // Finished only if the job got as far as finishing(): one stopped by the callback, or (for
  // a job that never calls it) asked to stop, did not.
  const bool finished = shared.finishing && !shared.cancelled;
  if (!progress.is_none() && finished && shared.latest) {
    // The final figures: the job has ended, so what this call returns changes nothing.
    const Progress& p = *shared.latest;
    call_progress(progress, p.records, p.bytes, p.total_bytes, p.seconds);
  }
  return finished ? JobEnd::Finished : JobEnd::Cancelled;
}

ProgressTicker::ProgressTicker(py::object progress, double interval)
    : progress_(std::move(progress)), interval_(interval), start_(seconds_now()), next_(start_ + interval) {
  check_interval(interval);
}

bool ProgressTicker::tick() {
  ++items_;
  if (stopped_) return false;
  if (items_ % 256 != 0) return true;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  if (progress_.is_none()) return true;
  const double now = seconds_now();
  if (now < next_) return true;
  next_ = now + interval_;
  if (call_progress(progress_, items_, 0, std::nullopt, now - start_)) stopped_ = true;
  return !stopped_;
}

void ProgressTicker::finish() {
  if (stopped_ || progress_.is_none()) return;
  call_progress(progress_, items_, 0, std::nullopt, seconds_now() - start_);
}

}  // namespace marcscope::python
