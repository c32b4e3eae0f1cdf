#pragma once
// The Python bindings of the engine: one bind_<area>() per file, called by bind_all() from both
// hosts: PYBIND11_MODULE in module.cpp (the wheel's marcscope._core) and, later, the desktop
// app's PYBIND11_EMBEDDED_MODULE under the same name.
//
// The pure-Python layer (python/marcscope) defines the pymarc classes (Record, Field, Leader, the
// exceptions ...) and hands them to _register() at import; the C++ side builds instances of those
// classes directly (see py_types.h), so that a Record made by a reader is the same class a script
// makes with Record().

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

namespace marcscope {
class Executor;
struct ReadOptions;
}

namespace marcscope::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_record(py::module_& m);
void bind_reader(py::module_& m);
void bind_write(py::module_& m);
void bind_validate(py::module_& m);

/// Every area, in the order they depend on each other.
void bind_all(py::module_& m);

/// The process's one pool of worker threads, made on first use (with the GIL held) and never
/// destroyed: a oneTBB arena torn down during interpreter shutdown can outlive the threads it needs.
/// Throws (RuntimeError) in a process forked after the engine started threads: see below.
std::shared_ptr<Executor> process_executor();

/// fork(): oneTBB's worker threads and its scheduler's state do not survive it, and a child that
/// uses oneTBB after its parent did may crash (a parent thread may have been inside the scheduler
/// at the fork). So the bindings note the process in which the engine first starts threads;
/// engine_threads_unsafe() is true in any process forked from it, where readers read on one
/// thread without oneTBB (the calling thread's, or a whole-input job's own: job.h), and
/// engine_threads_needed() (called before anything starts threads) throws instead of starting
/// them.
bool engine_threads_unsafe();
void engine_threads_needed();
/// Which process this is in its line of forks: it changes in a child at each fork() (a counter an
/// atfork handler keeps), so that an object can tell cheaply, without a system call as getpid()
/// is, that it was made in a parent process.
unsigned fork_generation();
/// The threads a whole-input job (validate(), convert()) runs on: `threads` of its own (when > 0)
/// or the process's pool; in a process forked after the engine started threads, everything on
/// the job's one thread without oneTBB (ReadOptions::serial), whatever `threads` says.
void choose_job_threads(ReadOptions& options, std::optional<unsigned> threads);

}  // namespace marcscope::python
