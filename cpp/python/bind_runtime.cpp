// Runtime facts, SIMD level, and a raw ONNX Runtime session (used by the binding tests).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <optional>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/error.h"
#include "faceedge/runtime.h"
#include "faceedge/simd.h"
#include "ort/session.h"

namespace faceedge::python {
namespace {

ort::ElementType element_type_of(const py::dtype& dt) {
  if (dt.is(py::dtype::of<float>())) return ort::ElementType::kFloat;
  if (dt.is(py::dtype::of<double>())) return ort::ElementType::kDouble;
  if (dt.is(py::dtype::of<int64_t>())) return ort::ElementType::kInt64;
  if (dt.is(py::dtype::of<int32_t>())) return ort::ElementType::kInt32;
  if (dt.is(py::dtype::of<uint8_t>())) return ort::ElementType::kUint8;
  if (dt.is(py::dtype::of<int8_t>())) return ort::ElementType::kInt8;
  throw py::type_error("unsupported input dtype " + std::string(py::str(dt)));
}

py::dtype dtype_of(ort::ElementType t) {
  switch (t) {
    case ort::ElementType::kFloat: return py::dtype::of<float>();
    case ort::ElementType::kDouble: return py::dtype::of<double>();
    case ort::ElementType::kInt64: return py::dtype::of<int64_t>();
    case ort::ElementType::kInt32: return py::dtype::of<int32_t>();
    case ort::ElementType::kUint8: return py::dtype::of<uint8_t>();
    case ort::ElementType::kInt8: return py::dtype::of<int8_t>();
  }
  return py::dtype("V" + std::to_string(1));
}

py::list specs_to_list(const std::vector<ort::TensorSpec>& specs) {
  py::list out;
  for (const auto& s : specs) out.append(py::make_tuple(s.name, s.element_type, s.shape));
  return out;
}

class PySession {
 public:
  PySession(const std::string& path, const ProviderList& providers, bool allow_fallback,
            int threads, const std::map<std::string, std::string>& config) {
    SessionSettings settings;
    settings.providers = to_provider_requests(providers);
    settings.allow_fallback = allow_fallback;
    settings.intra_op_threads = threads;
    settings.config_entries = config;
    py::gil_scoped_release release;
    session_ = std::make_shared<ort::Session>(path, settings);
  }

  py::dict run(const py::dict& feeds, const std::optional<std::vector<std::string>>& output_names) const {
    std::vector<py::array> keep;  // contiguous copies live until the run returns
    std::vector<ort::InputTensor> inputs;
    for (auto item : feeds) {
      py::array a = py::array::ensure(item.second, py::array::c_style);
      if (!a) throw py::type_error("feed " + std::string(py::str(item.first)) + " is not an array");
      ort::InputTensor t;
      t.name = py::str(item.first);
      t.type = element_type_of(a.dtype());
      t.data = a.data();
      for (py::ssize_t i = 0; i < a.ndim(); ++i) t.shape.push_back(a.shape(i));
      inputs.push_back(std::move(t));
      keep.push_back(std::move(a));
    }
    std::vector<ort::OutputTensor> outputs;
    {
      py::gil_scoped_release release;
      outputs = session_->run(inputs, output_names.value_or(std::vector<std::string>{}));
    }
    py::dict result;
    for (auto& o : outputs) {
      std::vector<py::ssize_t> shape(o.shape.begin(), o.shape.end());
      py::array a(dtype_of(o.type), shape);
      std::memcpy(a.mutable_data(), o.bytes.data(), o.bytes.size());
      result[py::str(o.name)] = a;
    }
    return result;
  }

  const ort::Session& session() const { return *session_; }

 private:
  std::shared_ptr<ort::Session> session_;
};

}  // namespace

void bind_runtime(py::module_& m) {
  m.def("set_runtime_library_candidates", &set_runtime_library_candidates, py::arg("paths"));
  m.def("set_execution_provider_libraries", &set_execution_provider_libraries, py::arg("paths"));
  m.def("runtime_info", [] {
    RuntimeInfo info;
    {
      py::gil_scoped_release release;
      info = runtime_info();
    }
    py::dict d;
    d["version"] = info.version;
    d["library_path"] = info.library_path;
    d["build_info"] = info.build_info;
    d["available_providers"] = info.available_providers;
    d["ep_devices"] = info.ep_devices;
    return d;
  });
  m.def("status_round_trip", &ort::status_round_trip, py::arg("code"), py::arg("message"));
  m.def("simd_level", [] { return simd_level_name(active_simd_level()); });
  m.def("available_simd_levels", [] {
    std::vector<std::string> names;
    for (SimdLevel l : available_simd_levels()) names.push_back(simd_level_name(l));
    return names;
  });

  py::class_<PySession>(m, "OrtSession")
      .def(py::init<const std::string&, const ProviderList&, bool, int,
                    const std::map<std::string, std::string>&>(),
           py::arg("path"), py::arg("providers") = ProviderList{}, py::arg("allow_fallback") = false,
           py::arg("threads") = 0, py::arg("config") = std::map<std::string, std::string>{})
      .def_property_readonly("inputs", [](const PySession& s) { return specs_to_list(s.session().inputs()); })
      .def_property_readonly("outputs", [](const PySession& s) { return specs_to_list(s.session().outputs()); })
      .def_property_readonly("providers", [](const PySession& s) { return s.session().providers(); })
      .def_property_readonly("warnings", [](const PySession& s) { return s.session().warnings(); })
      .def("run", &PySession::run, py::arg("feeds"),
           py::arg("output_names") = py::none());
}

}  // namespace faceedge::python
