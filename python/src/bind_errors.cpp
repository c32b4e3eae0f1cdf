// Engine exceptions become Python exceptions here, by type and in one place (never by message
// text). The classes are the pure-Python ones of marcscope.exceptions, registered at import:
//   NotMarcError       -> marcscope.exceptions.NotMarcError (a RecordLengthInvalid, what pymarc
//                         raises for bytes that are not MARC)
//   IoError            -> marcscope.exceptions.MarcIOError (an OSError)
//   std::length_error, std::invalid_argument -> ValueError
//   std::logic_error   -> RuntimeError (a reader used in a way it does not allow)
// Before registration (an embedding host that has not imported the Python layer) the built-in
// base classes are used.
//
// GIL: the translator runs with it held (pybind11 calls it on the way back to Python).

#include <stdexcept>

#include "bindings.h"
#include "marcscope/io/mapped_file.h"
#include "marcscope/read/record_reader.h"

namespace marcscope::python {

namespace {

struct ErrorClasses {
  PyObject* not_marc = nullptr;
  PyObject* io_error = nullptr;
};

ErrorClasses& classes() {
  static ErrorClasses c;
  return c;
}

}  // namespace

void bind_errors(py::module_& m) {
  m.def(
      "_register_errors",
      [](py::object not_marc, py::object io_error) {
        if (!PyType_Check(not_marc.ptr()) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(not_marc.ptr()),
                                                               reinterpret_cast<PyTypeObject*>(PyExc_Exception)))
          throw py::type_error("NotMarcError must be an exception class");
        if (!PyType_Check(io_error.ptr()) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(io_error.ptr()),
                                                               reinterpret_cast<PyTypeObject*>(PyExc_OSError)))
          throw py::type_error("MarcIOError must subclass OSError");
        classes().not_marc = not_marc.inc_ref().ptr();
        classes().io_error = io_error.inc_ref().ptr();
      },
      "Registers the exception classes engine errors become (called once by marcscope/__init__.py).");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NotMarcError& e) {
      PyErr_SetString(classes().not_marc ? classes().not_marc : PyExc_ValueError, e.what());
    } catch (const IoError& e) {
      PyErr_SetString(classes().io_error ? classes().io_error : PyExc_OSError, e.what());
    } catch (const std::length_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const std::logic_error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace marcscope::python
