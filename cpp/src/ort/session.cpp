#include "ort/session.h"

#include <cstring>
#include <functional>

#include "faceedge/error.h"
#include "ort/providers.h"
#include "ort/runtime.h"

namespace faceedge::ort {
namespace {

size_t element_size(int type) {
  switch (type) {
    case 1: case 6: case 12: return 4;           // float, int32, uint32
    case 2: case 3: case 9: return 1;            // uint8, int8, bool
    case 4: case 5: case 10: case 16: return 2;  // uint16, int16, float16, bfloat16
    case 7: case 11: case 13: return 8;          // int64, double, uint64
    default: return 0;                           // strings and packed types: not supported
  }
}

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(ErrorCode::kInvalidArgument, "negative tensor dimension");
    n *= static_cast<size_t>(d);
  }
  return n;
}

// Releases a runtime object when the scope ends, whatever happens in between.
template <typename T>
struct Owned {
  T* ptr = nullptr;
  std::function<void(T*)> release;
  ~Owned() {
    if (ptr) release(ptr);
  }
};

TensorSpec read_spec(const Api& api, abi::OrtTypeInfo* info, const std::string& name) {
  Owned<abi::OrtTypeInfo> owned{info, api.release_type_info};
  TensorSpec spec;
  spec.name = name;
  int onnx_type = 0;
  check(api.get_onnx_type_from_type_info(info, &onnx_type), "reading the type of " + name);
  if (onnx_type != abi::kOnnxTypeTensor) return spec;  // element_type 0: not a tensor
  const abi::OrtTensorTypeAndShapeInfo* tensor = nullptr;  // borrowed from info
  check(api.cast_type_info_to_tensor_info(info, &tensor), "reading tensor info of " + name);
  check(api.get_tensor_element_type(tensor, &spec.element_type), "reading element type of " + name);
  size_t rank = 0;
  check(api.get_dimensions_count(tensor, &rank), "reading rank of " + name);
  spec.shape.resize(rank);
  check(api.get_dimensions(tensor, spec.shape.data(), rank), "reading shape of " + name);
  return spec;
}

}  // namespace

size_t OutputTensor::element_count() const { return ort::element_count(shape); }

struct Session::Impl {
  abi::OrtSession* session = nullptr;
  abi::OrtMemoryInfo* cpu_memory = nullptr;
  ~Impl() {
    const Api& api = Runtime::get().api();
    api.release_session(session);
    api.release_memory_info(cpu_memory);
  }
};

Session::Session(const std::string& model_path, const SessionSettings& requested)
    : impl_(new Impl()), model_path_(model_path) {
  if (requested.intra_op_threads < 0) {
    throw Error(ErrorCode::kInvalidArgument, "threads must be >= 0, got " + std::to_string(requested.intra_op_threads));
  }
  const SessionSettings settings = with_cpu_options(requested);
  const Runtime& rt = Runtime::get();
  const Api& api = rt.api();
  const std::string where = "model " + model_path;

  Owned<abi::OrtSessionOptions> options{nullptr, api.release_session_options};
  check(api.create_session_options(&options.ptr), "creating session options");
  check(api.set_graph_optimization_level(options.ptr, abi::kGraphOptimizeAll), "optimisation level");
  // Each session has its own intra-op pool whose workers spin while a run is in progress (the
  // short gaps between layers then cost no wake-up) and stop the moment it returns, so the
  // detector's workers do not spin through the embedder's run, nor an idle engine's through the
  // rest of the gate's software. Measured on 2 cores (YuNet 640 + SFace): 15.5 ms a pair this
  // way, 25.2 ms never spinning, 51.3 ms spinning on after the run; idle CPU 0.1 ms in 0.5 s.
  check(api.set_intra_op_num_threads(options.ptr, settings.intra_op_threads), "thread count");
  check(api.add_session_config_entry(options.ptr, "session.intra_op.allow_spinning",
                                     settings.spinning ? "1" : "0"),
        "thread spinning");
  check(api.add_session_config_entry(options.ptr, "session.force_spinning_stop", "1"),
        "stopping the spin after a run");
  if (!settings.intra_op_affinity.empty()) {
    check(api.add_session_config_entry(options.ptr, "session.intra_op_thread_affinities",
                                       settings.intra_op_affinity.c_str()),
          "thread affinity");
  }
  if (!settings.cpu_arena) check(api.disable_cpu_mem_arena(options.ptr), "CPU memory arena");
  for (const auto& [key, value] : settings.config_entries) {
    check(api.add_session_config_entry(options.ptr, key.c_str(), value.c_str()),
          "session config entry " + key);
  }

  const std::vector<std::string> available = rt.available_providers();
  for (const ProviderRequest& request : settings.providers) {
    const std::string name = canonical_provider_name(request.name);
    if (name == "CPUExecutionProvider") continue;  // always there, always last
    std::string why = append_provider(options.ptr, request, available);
    if (why.empty()) {
      providers_.push_back(name);
      continue;
    }
    std::string have;
    for (const std::string& a : available) have += (have.empty() ? "" : ", ") + a;
    std::string message = name + " unavailable: " + why + ". This runtime (" + rt.library_path() +
                          ") has: " + have;
    if (!settings.allow_fallback) throw Error(ErrorCode::kProviderUnavailable, message);
    warnings_.push_back(message + "; falling back");
  }
  providers_.push_back("CPUExecutionProvider");

  abi::OrtStatus* created = api.create_session(rt.env(), model_path.c_str(), options.ptr, &impl_->session);
  if (created != nullptr && !settings.intra_op_affinity.empty()) {
    // The runtime parses the affinity string only when it builds the pool, inside this call.
    const std::string why = api.get_error_message(created);
    if (why.find("ffinit") != std::string::npos || why.find("rocessor id") != std::string::npos) {
      api.release_status(created);
      throw Error(ErrorCode::kInvalidArgument,
                  "ONNX Runtime rejected the thread pool (threads " +
                      std::to_string(settings.intra_op_threads) + ", affinity '" +
                      settings.intra_op_affinity + "'): " + why);
    }
  }
  check(created, where);
  check(api.create_cpu_memory_info(abi::kArenaAllocator, abi::kMemTypeDefault, &impl_->cpu_memory),
        "creating CPU memory info");

  abi::OrtAllocator* allocator = nullptr;
  check(api.get_allocator_with_default_options(&allocator), "default allocator");
  size_t n_in = 0, n_out = 0;
  check(api.session_get_input_count(impl_->session, &n_in), where);
  check(api.session_get_output_count(impl_->session, &n_out), where);
  auto read_name = [&](abi::SessionNameFn fn, size_t i) {
    char* raw = nullptr;
    check(fn(impl_->session, i, allocator, &raw), where + ": reading a tensor name");
    std::string name(raw);
    abi::OrtStatus* freed = api.allocator_free(allocator, raw);
    if (freed) api.release_status(freed);
    return name;
  };
  for (size_t i = 0; i < n_in; ++i) {
    std::string name = read_name(api.session_get_input_name, i);
    abi::OrtTypeInfo* info = nullptr;
    check(api.session_get_input_type_info(impl_->session, i, &info), where);
    inputs_.push_back(read_spec(api, info, name));
  }
  for (size_t i = 0; i < n_out; ++i) {
    std::string name = read_name(api.session_get_output_name, i);
    abi::OrtTypeInfo* info = nullptr;
    check(api.session_get_output_type_info(impl_->session, i, &info), where);
    outputs_.push_back(read_spec(api, info, name));
  }
}

Session::~Session() = default;

std::vector<OutputTensor> Session::run(const std::vector<InputTensor>& inputs,
                                       const std::vector<std::string>& output_names) const {
  const Api& api = Runtime::get().api();
  const std::string where = "running " + model_path_;

  struct Values {
    const Api& api;
    std::vector<abi::OrtValue*> v;
    ~Values() {
      for (abi::OrtValue* x : v) api.release_value(x);
    }
  };
  Values in{api, {}};
  std::vector<const char*> in_names;
  for (const InputTensor& t : inputs) {
    const size_t size = element_size(static_cast<int>(t.type));
    const size_t count = element_count(t.shape);
    if (size == 0) throw Error(ErrorCode::kInvalidArgument, "unsupported input element type for " + t.name);
    if (t.data == nullptr && count > 0) {
      throw Error(ErrorCode::kInvalidArgument, "input " + t.name + " has no data");
    }
    abi::OrtValue* value = nullptr;
    // The runtime only reads inputs; the const_cast is the C API's signature, not a write.
    check(api.create_tensor_with_data(impl_->cpu_memory, const_cast<void*>(t.data), size * count,
                                      t.shape.data(), t.shape.size(), static_cast<int>(t.type),
                                      &value),
          where + ": input " + t.name);
    in.v.push_back(value);
    in_names.push_back(t.name.c_str());
  }

  std::vector<std::string> names = output_names;
  if (names.empty()) {
    for (const TensorSpec& s : outputs_) names.push_back(s.name);
  }
  std::vector<const char*> out_names;
  for (const std::string& n : names) out_names.push_back(n.c_str());
  Values out{api, std::vector<abi::OrtValue*>(names.size(), nullptr)};

  check(api.run(impl_->session, nullptr, in_names.data(), in.v.data(), in.v.size(),
                out_names.data(), out_names.size(), out.v.data()),
        where);

  std::vector<OutputTensor> results;
  for (size_t i = 0; i < names.size(); ++i) {
    OutputTensor t;
    t.name = names[i];
    Owned<abi::OrtTensorTypeAndShapeInfo> info{nullptr, api.release_tensor_type_and_shape_info};
    check(api.get_tensor_type_and_shape(out.v[i], &info.ptr), where + ": output " + t.name);
    int type = 0;
    check(api.get_tensor_element_type(info.ptr, &type), where);
    size_t rank = 0;
    check(api.get_dimensions_count(info.ptr, &rank), where);
    t.shape.resize(rank);
    check(api.get_dimensions(info.ptr, t.shape.data(), rank), where);
    const size_t size = element_size(type);
    if (size == 0) throw Error(ErrorCode::kInferenceFailed, "output " + t.name + " has an unsupported element type");
    t.type = static_cast<ElementType>(type);
    t.bytes.resize(size * element_count(t.shape));
    if (!t.bytes.empty()) {
      void* data = nullptr;
      check(api.get_tensor_mutable_data(out.v[i], &data), where);
      std::memcpy(t.bytes.data(), data, t.bytes.size());
    }
    results.push_back(std::move(t));
  }
  return results;
}

}  // namespace faceedge::ort
