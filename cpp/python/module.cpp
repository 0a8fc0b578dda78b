#include <pybind11/pybind11.h>

#include "bindings.h"
#include "faceedge/version.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "faceedge compiled core: ONNX Runtime binding, detection, alignment, embedding, search, quality, liveness, attributes, landmarks, tracking";
  m.attr("__version__") = FACEEDGE_VERSION_STRING;
  faceedge::python::bind_errors(m);
  faceedge::python::bind_runtime(m);
  faceedge::python::bind_vision(m);
  faceedge::python::bind_engine(m);
  faceedge::python::bind_gallery(m);
  faceedge::python::bind_quality(m);
  faceedge::python::bind_liveness(m);
  faceedge::python::bind_attribute(m);
  faceedge::python::bind_landmarks(m);
  faceedge::python::bind_tracker(m);
}
