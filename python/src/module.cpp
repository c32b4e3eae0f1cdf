// The extension module marcscope._core: the one PYBIND11_MODULE. The bindings themselves are in
// the static library marcscope_python_bindings, which an embedding host registers the same way.

#include "bindings.h"

PYBIND11_MODULE(_core, m) { marcscope::python::bind_all(m); }
