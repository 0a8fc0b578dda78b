// estimate_similarity and align_face: numpy in, numpy out, the core in between.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/align.h"

namespace faceedge::python {
namespace {



Landmarks5 to_landmarks(const FloatArray& points, const char* what) {
  if (points.ndim() != 2 || points.shape(0) != 5 || points.shape(1) != 2) {
    throw py::value_error(std::string(what) + " must have shape (5, 2), got " + shape_of(points));
  }
  const auto p = points.unchecked<2>();
  Landmarks5 out;
  for (py::ssize_t i = 0; i < 5; ++i) out[i] = {p(i, 0), p(i, 1)};
  return out;
}

py::array_t<float> estimate_similarity_py(const FloatArray& src, const FloatArray& dst) {
  const Affine2x3 m = estimate_similarity(to_landmarks(src, "src"), to_landmarks(dst, "dst"));
  py::array_t<float> out({2, 3});
  std::memcpy(out.mutable_data(), m.data(), sizeof(float) * m.size());
  return out;
}

py::array_t<uint8_t> align_face_py(const py::array& image, const FloatArray& landmarks) {
  const ImageView view = image_view(image);
  const Landmarks5 points = to_landmarks(landmarks, "landmarks");
  AlignedFace face;
  {
    py::gil_scoped_release release;
    face = align_face(view, points);
  }
  py::array_t<uint8_t> out({AlignedFace::kSize, AlignedFace::kSize, 3});
  std::memcpy(out.mutable_data(), face.bgr.data(), face.bgr.size());
  return out;
}

}  // namespace

void bind_vision(py::module_& m) {
  m.def("estimate_similarity", &estimate_similarity_py, py::arg("src"), py::arg("dst"),
        "(5,2) float32 -> (2,3) float32 similarity transform mapping src onto dst.");
  m.def("align_face", &align_face_py, py::arg("image"), py::arg("landmarks"),
        "BGR uint8 HxWx3 + (5,2) landmarks -> 112x112x3 BGR uint8 ArcFace crop.");
}

}  // namespace faceedge::python
