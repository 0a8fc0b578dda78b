// Attribute: one face-attribute classifier (gender, emotion) by manifest family.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/attribute_model.h"
#include "faceedge/error.h"
#include "models/model_factory.h"

namespace faceedge::python {
namespace {

std::unique_ptr<AttributeModel> make_attribute(const std::string& family, const std::string& path,
                                               float margin, const ProviderList& providers,
                                               bool allow_fallback, int threads) {
  SessionSettings settings;
  settings.providers = to_provider_requests(providers);
  settings.allow_fallback = allow_fallback;
  settings.intra_op_threads = threads;
  py::gil_scoped_release release;
  return make_attribute_model({family, path}, settings, margin);
}

py::array_t<float> predict(const AttributeModel& model, const py::array& image,
                           const FloatArray& boxes) {
  const ImageView view = image_view(image);
  const std::vector<Box> faces = boxes_from_array(boxes);
  const size_t classes = static_cast<size_t>(model.classes());
  std::vector<float> probs(faces.size() * classes);
  if (!faces.empty()) {
    py::gil_scoped_release release;
    model.predict(view, faces, probs.data());
  }
  py::array_t<float> out({static_cast<py::ssize_t>(faces.size()),
                          static_cast<py::ssize_t>(classes)});
  if (!probs.empty()) std::memcpy(out.mutable_data(), probs.data(), probs.size() * sizeof(float));
  return out;
}

}  // namespace

void bind_attribute(py::module_& m) {
  py::class_<AttributeModel>(m, "Attribute")
      .def(py::init(&make_attribute), py::arg("family"), py::arg("path"),
           py::arg("margin") = 0.f, py::arg("providers") = ProviderList{},
           py::arg("allow_fallback") = false, py::arg("threads") = 0)
      .def_property_readonly("classes", &AttributeModel::classes)
      .def_property_readonly("providers", &AttributeModel::providers)
      .def("predict", &predict, py::arg("image"), py::arg("boxes"),
           "BGR uint8 HxWx3 + boxes (n,4) [x, y, w, h] -> (n, C) float32 softmax, all faces in "
           "one batch. The crop is each box widened by `margin` x w / h on every side.");
}

}  // namespace faceedge::python
