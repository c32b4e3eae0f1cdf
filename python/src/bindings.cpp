// bind_all(): every area's bindings, for both hosts; and the process's one executor.

#include "bindings.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

#include "marcscope/core/executor.h"
#include "marcscope/read/read_options.h"

namespace marcscope::python {

namespace {
/// The process in which the engine first started worker threads (oneTBB), 0 before that. A
/// process forked from it inherits this value, which is how a child knows.
pid_t threads_started_in = 0;
/// How many times this process's line has forked: each fork() adds one in the child (an atfork
/// handler registered by bind_all, before any reader exists).
std::atomic<unsigned> forks{0};
}  // namespace

unsigned fork_generation() { return forks.load(std::memory_order_relaxed); }

bool engine_threads_unsafe() { return threads_started_in != 0 && threads_started_in != getpid(); }

void engine_threads_needed() {
  if (engine_threads_unsafe())
    throw std::logic_error(
        "marcscope: this process was forked from one whose engine worker threads had started, and oneTBB's "
        "threads do not survive fork(): here the engine reads, validates and converts on the calling thread "
        "only; for its worker threads, use a process started with multiprocessing's 'spawn' or 'forkserver' "
        "method");
  if (threads_started_in == 0) threads_started_in = getpid();
}

void choose_job_threads(ReadOptions& options, std::optional<unsigned> threads) {
  if (engine_threads_unsafe()) {
    options.serial = true;
    return;
  }
  engine_threads_needed();
  if (threads && *threads > 0)
    options.threads = *threads;
  else
    options.executor = process_executor();
}

std::shared_ptr<Executor> process_executor() {
  engine_threads_needed();
  // Deliberately leaked (see bindings.h); made with the GIL held, so no other thread races here.
  static auto* executor = new std::shared_ptr<Executor>(std::make_shared<Executor>(0));
  return *executor;
}

void bind_all(py::module_& m) {
  static const bool counting_forks =
      pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1, std::memory_order_relaxed); }) == 0;
  if (!counting_forks) throw std::runtime_error("marcscope: pthread_atfork failed");
  m.doc() = "MarcScope's engine for Python: readers, record hand-over, writers and validation.";
  m.attr("__version__") = MARCSCOPE_VERSION;
  bind_errors(m);
  bind_record(m);
  bind_reader(m);
  bind_write(m);
  bind_validate(m);
  m.def("executor_threads", [] { return process_executor()->threads(); },
        "How many threads the process's shared pool has (every core the process may use).");
}

}  // namespace marcscope::python
