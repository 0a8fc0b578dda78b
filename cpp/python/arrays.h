#pragma once
// numpy <-> core conversions shared by the bind_*.cpp files. Checks happen with the GIL held.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "faceedge/error.h"
#include "faceedge/runtime.h"
#include "faceedge/types.h"

namespace faceedge::python {

namespace py = pybind11;

using ProviderList = std::vector<std::tuple<std::string, std::map<std::string, std::string>>>;

inline std::vector<ProviderRequest> to_provider_requests(const ProviderList& list) {
  std::vector<ProviderRequest> out;
  for (const auto& [name, options] : list) out.push_back({name, options});
  return out;
}

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// "(n, 5, 2)": an array's shape for error messages.
inline std::string shape_of(const py::array& a) {
  std::string out = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) out += (i ? ", " : "") + std::to_string(a.shape(i));
  return out + (a.ndim() == 1 ? ",)" : ")");
}

// (n, 4) [x, y, w, h] boxes; a wrong shape is an invalid-argument error.
inline std::vector<Box> boxes_from_array(const FloatArray& boxes) {
  if (boxes.ndim() != 2 || boxes.shape(1) != 4) {
    throw Error(ErrorCode::kInvalidArgument,
                "boxes must have shape (n, 4) [x, y, w, h], got " + shape_of(boxes));
  }
  const auto b = boxes.unchecked<2>();
  std::vector<Box> out(static_cast<size_t>(boxes.shape(0)));
  for (py::ssize_t i = 0; i < boxes.shape(0); ++i) {
    out[static_cast<size_t>(i)] = {b(i, 0), b(i, 1), b(i, 2), b(i, 3)};
  }
  return out;
}

// A BGR uint8 HxWx3 C-contiguous array viewed without copying; ValueError otherwise.
inline ImageView image_view(const py::array& image) {
  if (!py::isinstance<py::array_t<uint8_t>>(image) || image.dtype().kind() != 'u' ||
      image.itemsize() != 1) {
    throw py::value_error("image must be a uint8 array, got dtype " +
                          std::string(py::str(image.dtype())));
  }
  if (image.ndim() != 3 || image.shape(2) != 3) {
    throw py::value_error("image must have shape (height, width, 3) in BGR order");
  }
  if (image.size() == 0) {
    throw Error(ErrorCode::kImageEmpty, "image has no pixels (shape " +
                                            std::to_string(image.shape(0)) + "x" +
                                            std::to_string(image.shape(1)) + ")");
  }
  if (image.strides(2) != 1 || image.strides(1) != 3) {
    throw py::value_error("image pixels must be contiguous (use numpy.ascontiguousarray)");
  }
  ImageView view;
  view.data = static_cast<const uint8_t*>(image.data());
  view.height = static_cast<int>(image.shape(0));
  view.width = static_cast<int>(image.shape(1));
  view.stride = image.strides(0);
  return view;
}

}  // namespace faceedge::python
