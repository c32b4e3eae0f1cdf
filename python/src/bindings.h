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

namespace marcscope {
class Executor;
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
std::shared_ptr<Executor> process_executor();

}  // namespace marcscope::python
