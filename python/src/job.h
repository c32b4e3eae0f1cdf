#pragma once
// Whole-input jobs from Python (validate(path), convert()): visible and stoppable.
//
// The engine runs the job on a thread of its own while the calling thread waits with the GIL
// released. It wakes every few tens of milliseconds to run Python's signal handlers (so that
// Ctrl-C stops the job: KeyboardInterrupt) and, every `interval` seconds, the caller's progress
// callback with the engine's latest figures. Both run on the calling thread with the GIL held,
// as any Python code of the caller does; the job itself never touches Python.
#include <cstdint>
#include <functional>

#include "bindings.h"
#include "marcscope/core/control.h"

namespace marcscope::python {

/// How a job ended: it ran to its end (and made its result final), or it was asked to stop
/// first (by the progress callback returning False) and left everything as it was.
enum class JobEnd { Finished, Cancelled };

/// What a job calls once its work is done, before it makes anything final (commits an output
/// file): true when it may, after which nothing stops it any more; false when it was asked to
/// stop first, and must then leave everything as it was. So "cancelled" and "made final" never
/// both happen, whatever the timing of the callback.
using JobFinishing = std::function<bool()>;

/// Results a job hands over while it runs (validate(path, each=)): the job queues them on its
/// own thread and calls `wake` (set by run_job, callable from any thread) when the caller should
/// come for them; `drain` (set by the caller) takes them, on the calling thread with the GIL
/// held, at every wake-up of run_job's wait and once more after the job has ended. An exception
/// from `drain` stops the job and propagates, as one from the progress callback does.
struct JobStream {
  std::function<void()> drain;
  std::function<void()> wake;
};

/// Runs `job` with a JobControl of its own on another thread, and waits for it as said above.
/// `progress` (a callable, or None) is called as progress(records, bytes, total_bytes or None,
/// seconds) every `interval` seconds while the job runs, and once with the final figures after it
/// has finished (an exception raised there propagates; the job's result stands); returning False
/// while it runs asks it to stop (it ends at its next batch: JobEnd::Cancelled). An exception from
/// `progress` or a signal handler (KeyboardInterrupt) stops the job too, and is raised once the
/// job has ended (py::error_already_set); so is an exception the job throws. Never returns or
/// throws while the job still runs.
///
/// Limits: signals are Python's only on the main thread, so a job called from another thread
/// stops by its callback alone; and opening an input waits for its first 64 KB (or its end) to
/// tell the format, which cannot be stopped (later reads of an idle pipe can:
/// ByteSource::interrupt_on).
/// `stream`, when given, is drained as said above.
JobEnd run_job(const std::function<void(const JobControl&, const JobFinishing&)>& job, const py::object& progress,
               double interval, JobStream* stream = nullptr);

/// For loops over Python objects with the GIL held (validate(records)): every call counts one
/// item; now and then it runs the signal handlers and, every `interval` seconds, `progress` as
/// run_job() does (bytes 0, total None). tick() returns false once the callback returned False.
class ProgressTicker {
 public:
  ProgressTicker(py::object progress, double interval);
  bool tick();
  /// The final call to `progress` (when it was not told to stop).
  void finish();

 private:
  py::object progress_;
  double interval_;
  std::uint64_t items_ = 0;
  double start_;
  double next_;
  bool stopped_ = false;
};

}  // namespace marcscope::python
