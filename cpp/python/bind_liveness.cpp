// Liveness (the fused MiniFASNet set) and two debug views of its crop rule, for the tests.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/error.h"
#include "faceedge/liveness.h"
#include "models/minifasnet_liveness.h"

namespace faceedge::python {
namespace {

using MemberList = std::vector<std::tuple<std::string, std::string, float>>;


Box to_box(const FloatArray& box) {
  if (box.ndim() != 1 || box.shape(0) != 4) {
    throw Error(ErrorCode::kInvalidArgument,
                "box must have shape (4,) [x, y, w, h], got " + shape_of(box));
  }
  return {box.at(0), box.at(1), box.at(2), box.at(3)};
}

std::unique_ptr<Liveness> make_liveness(const MemberList& models, const ProviderList& providers,
                                        bool allow_fallback, int threads) {
  LivenessConfig config;
  for (const auto& [family, path, scale] : models) config.members.push_back({{family, path}, scale});
  config.session.providers = to_provider_requests(providers);
  config.session.allow_fallback = allow_fallback;
  config.session.intra_op_threads = threads;
  py::gil_scoped_release release;
  return std::make_unique<Liveness>(config);
}

py::array_t<float> score(const Liveness& liveness, const py::array& image,
                         const FloatArray& boxes) {
  const ImageView view = image_view(image);
  const std::vector<Box> faces = boxes_from_array(boxes);
  std::vector<float> probs;
  {
    py::gil_scoped_release release;
    probs = liveness.score(view, faces);
  }
  py::array_t<float> out({static_cast<py::ssize_t>(faces.size()),
                          static_cast<py::ssize_t>(liveness.classes())});
  if (!probs.empty()) std::memcpy(out.mutable_data(), probs.data(), probs.size() * sizeof(float));
  return out;
}

py::array_t<float> crop(const py::array& image, const FloatArray& box, double scale, int width,
                        int height) {
  const ImageView view = image_view(image);
  const Box b = to_box(box);
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096) {
    throw Error(ErrorCode::kInvalidArgument, "crop size must be 1..4096 per side");
  }
  const size_t plane = static_cast<size_t>(width) * height;
  std::vector<float> planar(3 * plane);
  {
    py::gil_scoped_release release;
    minifasnet_crop_to_planar(view, b, scale, width, height, planar.data());
  }
  py::array_t<float> out({static_cast<py::ssize_t>(height), static_cast<py::ssize_t>(width),
                          py::ssize_t{3}});
  float* o = out.mutable_data();
  for (size_t i = 0; i < plane; ++i) {
    for (size_t c = 0; c < 3; ++c) o[3 * i + c] = planar[c * plane + i];
  }
  return out;
}

}  // namespace

void bind_liveness(py::module_& m) {
  py::class_<Liveness>(m, "Liveness")
      .def(py::init(&make_liveness), py::arg("models"), py::arg("providers") = ProviderList{},
           py::arg("allow_fallback") = false, py::arg("threads") = 0)
      .def_property_readonly("providers", &Liveness::providers)
      .def("score", &score, py::arg("image"), py::arg("boxes"),
           "BGR uint8 HxWx3 + boxes (n,4) -> (n,3) float32: the members' softmax vectors "
           "summed and divided by their count (index 1 = live).");
  m.def(
      "liveness_crop_rect",
      [](int width, int height, const FloatArray& box, double scale) {
        const CropRect r = minifasnet_crop_rect(to_box(box), width, height, scale);
        return std::make_tuple(r.left, r.top, r.right, r.bottom);
      },
      py::arg("width"), py::arg("height"), py::arg("box"), py::arg("scale"),
      "The MiniFASNet patch for a box on a width x height image: (left, top, right, bottom), "
      "inclusive (shared/models/README.md 6.2).");
  m.def("liveness_crop", &crop, py::arg("image"), py::arg("box"), py::arg("scale"),
        py::arg("width") = 80, py::arg("height") = 80,
        "The MiniFASNet input for one face: (height, width, 3) float32 BGR 0..255, the patch "
        "stretched with bilinear sampling.");
}

}  // namespace faceedge::python
