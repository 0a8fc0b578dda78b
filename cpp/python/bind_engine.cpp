// faceedge.Engine: construct from model families/paths, detect and embed on numpy images.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/engine.h"

namespace faceedge::python {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::unique_ptr<Engine> make_engine(const std::string& detector_family,
                                    const std::string& detector_path,
                                    const std::string& embedder_family,
                                    const std::string& embedder_path, const ProviderList& providers,
                                    bool allow_fallback, int threads) {
  EngineConfig config;
  config.detector = {detector_family, detector_path};
  config.embedder = {embedder_family, embedder_path};
  config.session.providers = to_provider_requests(providers);
  config.session.allow_fallback = allow_fallback;
  config.session.intra_op_threads = threads;
  py::gil_scoped_release release;
  return std::make_unique<Engine>(config);
}

py::dict faces_to_dict(const std::vector<Face>& faces) {
  const auto n = static_cast<py::ssize_t>(faces.size());
  py::array_t<float> boxes({n, py::ssize_t{4}});
  py::array_t<float> scores(n);
  py::array_t<float> landmarks({n, py::ssize_t{5}, py::ssize_t{2}});
  py::array_t<float> angles({n, py::ssize_t{3}});
  auto b = boxes.mutable_unchecked<2>();
  auto s = scores.mutable_unchecked<1>();
  auto l = landmarks.mutable_unchecked<3>();
  auto a = angles.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < n; ++i) {
    const Face& f = faces[static_cast<size_t>(i)];
    b(i, 0) = f.box.x;
    b(i, 1) = f.box.y;
    b(i, 2) = f.box.width;
    b(i, 3) = f.box.height;
    s(i) = f.score;
    for (py::ssize_t k = 0; k < 5; ++k) {
      l(i, k, 0) = f.landmarks[static_cast<size_t>(k)].x;
      l(i, k, 1) = f.landmarks[static_cast<size_t>(k)].y;
    }
    a(i, 0) = f.angle.yaw;
    a(i, 1) = f.angle.pitch;
    a(i, 2) = f.angle.roll;
  }
  py::dict out;
  out["boxes"] = boxes;
  out["scores"] = scores;
  out["landmarks"] = landmarks;
  out["angles"] = angles;
  return out;
}

py::dict detect(const Engine& engine, const py::array& image, int max_face_num, int face_sort_type,
                float min_face_size, float score_threshold) {
  const ImageView view = image_view(image);
  DetectOptions options;
  options.max_face_num = max_face_num;
  options.sort = static_cast<FaceSort>(face_sort_type);  // the engine rejects other values
  options.min_face_size = min_face_size;
  options.score_threshold = score_threshold;
  std::vector<Face> faces;
  {
    py::gil_scoped_release release;
    faces = engine.detect(view, options);
  }
  return faces_to_dict(faces);
}

py::array_t<float> embed(const Engine& engine, const py::array& image,
                         const FloatArray& landmarks) {
  const ImageView view = image_view(image);
  if (landmarks.ndim() != 3 || landmarks.shape(1) != 5 || landmarks.shape(2) != 2) {
    throw py::value_error("landmarks must have shape (n, 5, 2)");
  }
  const auto p = landmarks.unchecked<3>();
  std::vector<Face> faces(static_cast<size_t>(landmarks.shape(0)));
  for (size_t i = 0; i < faces.size(); ++i) {
    for (size_t k = 0; k < 5; ++k) {
      const auto row = static_cast<py::ssize_t>(i), col = static_cast<py::ssize_t>(k);
      faces[i].landmarks[k] = {p(row, col, 0), p(row, col, 1)};
    }
  }
  std::vector<float> rows;
  {
    py::gil_scoped_release release;
    rows = engine.embed(view, faces);
  }
  const py::ssize_t dim = engine.embedding_dim();
  py::array_t<float> out({static_cast<py::ssize_t>(faces.size()), dim});
  if (!rows.empty()) std::memcpy(out.mutable_data(), rows.data(), rows.size() * sizeof(float));
  return out;
}

}  // namespace

void bind_engine(py::module_& m) {
  py::class_<Engine>(m, "Engine")
      .def(py::init(&make_engine), py::arg("detector_family"), py::arg("detector_path"),
           py::arg("embedder_family"), py::arg("embedder_path"),
           py::arg("providers") = ProviderList{}, py::arg("allow_fallback") = false,
           py::arg("threads") = 0)
      .def_property_readonly("embedding_dim", &Engine::embedding_dim)
      .def_property_readonly("providers", &Engine::providers)
      .def("detect", &detect, py::arg("image"), py::arg("max_face_num") = 1,
           py::arg("face_sort_type") = 0, py::arg("min_face_size") = 0.0f,
           py::arg("score_threshold") = DetectOptions{}.score_threshold,
           "Faces as boxes (n,4) [x,y,w,h], scores (n,), landmarks (n,5,2), angles (n,3) "
           "[yaw,pitch,roll]; sorted and limited.")
      .def("embed", &embed, py::arg("image"), py::arg("landmarks"),
           "(n,5,2) landmarks -> (n, embedding_dim) float32, L2-normalised rows.");
}

}  // namespace faceedge::python
