// bind_all(): every area's bindings, for both hosts; and the process's one executor.

#include "bindings.h"

#include "marcscope/core/executor.h"

namespace marcscope::python {

std::shared_ptr<Executor> process_executor() {
  // Deliberately leaked (see bindings.h); made with the GIL held, so no other thread races here.
  static auto* executor = new std::shared_ptr<Executor>(std::make_shared<Executor>(0));
  return *executor;
}

void bind_all(py::module_& m) {
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
