// Landmarks: a dense landmark model (OpenSeeFace's 66 points) by manifest family.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/landmark_model.h"
#include "models/model_factory.h"

namespace faceedge::python {
namespace {

std::unique_ptr<LandmarkModel> make_landmarks(const std::string& family, const std::string& path,
                                              const ProviderList& providers, bool allow_fallback,
                                              int threads) {
  SessionSettings settings;
  settings.providers = to_provider_requests(providers);
  settings.allow_fallback = allow_fallback;
  settings.intra_op_threads = threads;
  py::gil_scoped_release release;
  return make_landmark_model({family, path}, settings);
}

py::tuple locate(const LandmarkModel& model, const py::array& image, const FloatArray& boxes) {
  const ImageView view = image_view(image);
  const std::vector<Box> faces = boxes_from_array(boxes);
  const py::ssize_t n = static_cast<py::ssize_t>(faces.size());
  const py::ssize_t p = model.points();
  py::array_t<float> xy({n, p, py::ssize_t{2}});
  py::array_t<float> confidence({n, p});
  if (n > 0) {
    float* xy_out = xy.mutable_data();
    float* conf_out = confidence.mutable_data();
    py::gil_scoped_release release;
    model.locate(view, faces, xy_out, conf_out);
  }
  return py::make_tuple(xy, confidence);
}

}  // namespace

void bind_landmarks(py::module_& m) {
  py::class_<LandmarkModel>(m, "Landmarks")
      .def(py::init(&make_landmarks), py::arg("family"), py::arg("path"),
           py::arg("providers") = ProviderList{}, py::arg("allow_fallback") = false,
           py::arg("threads") = 0)
      .def_property_readonly("points", &LandmarkModel::points)
      .def_property_readonly("providers", &LandmarkModel::providers)
      .def("locate", &locate, py::arg("image"), py::arg("boxes"),
           "BGR uint8 HxWx3 + boxes (n,4) [x, y, w, h] -> (points (n, P, 2) float32 image "
           "coordinates, confidence (n, P) float32 0..1), all faces in one batch.");
}

}  // namespace faceedge::python
