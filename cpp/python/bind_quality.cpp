// face_quality: per-face blur, illumination, completeness and size (cpp/src/quality/).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/error.h"
#include "faceedge/quality.h"

namespace faceedge::python {
namespace {



py::dict face_quality_py(const py::array& image, const FloatArray& boxes,
                         const FloatArray& landmarks) {
  const ImageView view = image_view(image);
  if (boxes.ndim() != 2 || boxes.shape(1) != 4) {
    throw Error(ErrorCode::kInvalidArgument,
                "boxes must have shape (n, 4) [x, y, w, h], got " + shape_of(boxes));
  }
  const py::ssize_t n = boxes.shape(0);
  if (landmarks.ndim() != 3 || landmarks.shape(0) != n || landmarks.shape(1) != 5 ||
      landmarks.shape(2) != 2) {
    throw Error(ErrorCode::kInvalidArgument, "landmarks must have shape (" + std::to_string(n) +
                                                 ", 5, 2) to match boxes, got " +
                                                 shape_of(landmarks));
  }
  std::vector<Face> faces(static_cast<size_t>(n));
  const auto b = boxes.unchecked<2>();
  const auto l = landmarks.unchecked<3>();
  for (py::ssize_t i = 0; i < n; ++i) {
    Face& f = faces[static_cast<size_t>(i)];
    f.box = {b(i, 0), b(i, 1), b(i, 2), b(i, 3)};
    for (py::ssize_t k = 0; k < 5; ++k) f.landmarks[static_cast<size_t>(k)] = {l(i, k, 0), l(i, k, 1)};
  }
  std::vector<FaceQuality> results(faces.size());
  {
    py::gil_scoped_release release;
    for (size_t i = 0; i < faces.size(); ++i) results[i] = face_quality(view, faces[i]);
  }
  py::array_t<float> blur(n), illumination(n), size(n);
  py::array_t<int32_t> completeness(n);
  for (py::ssize_t i = 0; i < n; ++i) {
    const FaceQuality& q = results[static_cast<size_t>(i)];
    blur.mutable_at(i) = q.blur;
    illumination.mutable_at(i) = q.illumination;
    completeness.mutable_at(i) = q.completeness;
    size.mutable_at(i) = q.size;
  }
  py::dict out;
  out["blur"] = blur;
  out["illumination"] = illumination;
  out["completeness"] = completeness;
  out["size"] = size;
  return out;
}

}  // namespace

void bind_quality(py::module_& m) {
  m.def("face_quality", &face_quality_py, py::arg("image"), py::arg("boxes"), py::arg("landmarks"),
        "BGR uint8 HxWx3, boxes (n,4) [x,y,w,h], landmarks (n,5,2) -> {blur, illumination, "
        "completeness, size}, one value per face.");
}

}  // namespace faceedge::python
