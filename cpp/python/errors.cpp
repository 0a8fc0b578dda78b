// Core errors become faceedge.errors exceptions carrying their Baidu code.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <new>

#include "bindings.h"
#include "faceedge/error.h"

namespace py = pybind11;

namespace faceedge::python {
namespace {

py::object make_exception(int code, const char* message) {
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> from_core;
  const py::object& factory = from_core
      .call_once_and_store_result([] { return py::module_::import("faceedge.errors").attr("from_core"); })
      .get_stored();
  return factory(code, message);
}

void raise(int code, const char* message) {
  py::object exc = make_exception(code, message);
  py::set_error(py::type::of(exc), exc);
}

}  // namespace

void bind_errors(py::module_& m) {
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise(static_cast<int>(e.code()), e.what());
    } catch (const std::bad_alloc&) {
      throw;  // pybind11's default: MemoryError
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::exception& e) {
      raise(static_cast<int>(ErrorCode::kInternal), e.what());
    }
  });
  m.def("error_codes", [] {
    std::map<std::string, int> codes;
#define FACEEDGE_NAME_ENTRY(name, code) codes[#name] = code;
    FACEEDGE_ERROR_CODES(FACEEDGE_NAME_ENTRY)
#undef FACEEDGE_NAME_ENTRY
    return codes;
  });
}

}  // namespace faceedge::python
