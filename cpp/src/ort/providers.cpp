#include "ort/providers.h"

#include <algorithm>
#include <cctype>

#include "faceedge/error.h"

namespace faceedge::ort {
namespace {

struct ProviderName {
  const char* canonical;     // what GetAvailableProviders reports
  const char* generic_name;  // what the by-name append (slot 216) accepts; null: own V2 slots
  const char* short_name;    // the lower-case alias users may type
};

// CUDA and TensorRT are not accepted by the by-name append; they have dedicated V2 slots.
constexpr ProviderName kProviders[] = {
    {"CPUExecutionProvider", "CPU", "cpu"},
    {"CUDAExecutionProvider", nullptr, "cuda"},
    {"TensorrtExecutionProvider", nullptr, "tensorrt"},
    {"OpenVINOExecutionProvider", "OpenVINO", "openvino"},
    {"XnnpackExecutionProvider", "XNNPACK", "xnnpack"},
    {"CoreMLExecutionProvider", "CoreML", "coreml"},
    {"DmlExecutionProvider", "DML", "dml"},
    {"QNNExecutionProvider", "QNN", "qnn"},
    {"SNPEExecutionProvider", "SNPE", "snpe"},
    {"AzureExecutionProvider", "AZURE", "azure"},
    {"VitisAIExecutionProvider", "VitisAI", "vitisai"},
    {"MIGraphXExecutionProvider", "MIGraphX", "migraphx"},
    {"WebGpuExecutionProvider", "WebGPU", "webgpu"},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const ProviderName& find_provider(const std::string& name) {
  const std::string wanted = lower(name);
  for (const ProviderName& p : kProviders) {
    if (wanted == lower(p.canonical) || wanted == p.short_name) return p;
  }
  std::string known;
  for (const ProviderName& p : kProviders) known += std::string(known.empty() ? "" : ", ") + p.canonical;
  throw Error(ErrorCode::kInvalidArgument,
              "unknown execution provider '" + name + "'; known names: " + known);
}

struct KeyValues {
  std::vector<const char*> keys, values;
  explicit KeyValues(const ProviderRequest& r) {
    for (const auto& kv : r.options) {
      keys.push_back(kv.first.c_str());
      values.push_back(kv.second.c_str());
    }
  }
};

std::string append_cuda(const Api& api, abi::OrtSessionOptions* options, const ProviderRequest& r) {
  abi::OrtCUDAProviderOptionsV2* cuda = nullptr;
  std::string why = status_message(api.create_cuda_options(&cuda));
  if (why.empty()) {
    KeyValues kv(r);
    why = status_message(api.update_cuda_options(cuda, kv.keys.data(), kv.values.data(), kv.keys.size()));
  }
  if (why.empty()) why = status_message(api.append_cuda_v2(options, cuda));
  api.release_cuda_options(cuda);
  return why;
}

std::string append_tensorrt(const Api& api, abi::OrtSessionOptions* options, const ProviderRequest& r) {
  abi::OrtTensorRTProviderOptionsV2* trt = nullptr;
  std::string why = status_message(api.create_tensorrt_options(&trt));
  if (why.empty()) {
    KeyValues kv(r);
    why = status_message(api.update_tensorrt_options(trt, kv.keys.data(), kv.values.data(), kv.keys.size()));
  }
  if (why.empty()) why = status_message(api.append_tensorrt_v2(options, trt));
  api.release_tensorrt_options(trt);
  return why;
}

// A provider the runtime has not built in, through a plugin library (ONNX Runtime >= 1.22): the
// libraries are registered with the env, and the session gets the provider's first device (of
// the type the "device_type" option names, when it is given: that option picks the device and
// is not passed on).
std::string append_plugin(abi::OrtSessionOptions* options, const ProviderRequest& request,
                          const std::string& canonical) {
  const Runtime& rt = Runtime::get();
  const PluginEpApi* plugin = rt.plugin_api();
  if (plugin == nullptr) {
    return canonical + " is not in this ONNX Runtime build, and plugin execution providers need "
                       "ONNX Runtime 1.22 or newer (this is " + rt.version() + ")";
  }
  const std::string failures = rt.register_plugin_libraries();
  std::string wanted_type;
  auto type_option = request.options.find("device_type");
  if (type_option != request.options.end()) {
    // "GPU.0", "HETERO:GPU,CPU", "AUTO:NPU,CPU": the first device named is the one to find.
    wanted_type = type_option->second.substr(type_option->second.find(':') + 1);
    wanted_type = wanted_type.substr(0, wanted_type.find_first_of(".,"));
    std::transform(wanted_type.begin(), wanted_type.end(), wanted_type.begin(),
                   [](unsigned char c) { return std::toupper(c); });
  }
  const std::vector<EpDevice> devices = rt.ep_devices();
  const EpDevice* chosen = nullptr;
  std::string listed;
  for (const EpDevice& d : devices) {
    listed += (listed.empty() ? "" : ", ") + d.describe();
    if (chosen == nullptr && d.ep_name == canonical && (wanted_type.empty() || d.device_type == wanted_type)) {
      chosen = &d;
    }
  }
  if (chosen == nullptr) {
    std::string plugins;
    for (const std::string& path : rt.registered_plugin_libraries()) {
      plugins += (plugins.empty() ? "" : ", ") + path;
    }
    std::string why = canonical + " is not in this ONNX Runtime build, and no plugin library " +
                      "offers it" + (wanted_type.empty() ? "" : " on a " + wanted_type) +
                      " on this machine (plugin libraries registered: " +
                      (plugins.empty() ? "none" : plugins) + "); the devices the runtime lists: " +
                      (listed.empty() ? "none" : listed);
    if (!failures.empty()) why += "; plugin libraries that failed to register:" + failures;
    return why;
  }
  std::vector<const char*> keys, values;
  for (const auto& kv : request.options) {
    if (kv.first == "device_type") continue;
    keys.push_back(kv.first.c_str());
    values.push_back(kv.second.c_str());
  }
  const abi::OrtEpDevice* const handles[] = {chosen->handle};
  return status_message(plugin->append_v2(options, rt.env(), handles, 1, keys.data(), values.data(),
                                          keys.size()));
}

int parse_thread_count(const std::string& text) {
  size_t used = 0;
  int n = -1;
  try {
    n = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || n < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "CPUExecutionProvider option intra_op_num_threads must be an integer >= 0, got '" +
                    text + "'");
  }
  return n;
}

}  // namespace

SessionSettings with_cpu_options(SessionSettings settings) {
  static const char* const kKnown = "intra_op_num_threads, session.intra_op_thread_affinities, "
                                    "enable_cpu_mem_arena";
  for (const ProviderRequest& request : settings.providers) {
    if (canonical_provider_name(request.name) != "CPUExecutionProvider") continue;
    for (const auto& [key, value] : request.options) {
      if (key == "intra_op_num_threads") {
        const int n = parse_thread_count(value);
        if (n != 0 && settings.intra_op_threads != 0 && n != settings.intra_op_threads) {
          throw Error(ErrorCode::kInvalidArgument,
                      "threads=" + std::to_string(settings.intra_op_threads) +
                          " disagrees with the CPU option intra_op_num_threads=" + value);
        }
        if (n != 0) settings.intra_op_threads = n;
      } else if (key == "session.intra_op_thread_affinities") {
        settings.intra_op_affinity = value;  // the runtime checks it when it builds the pool
      } else if (key == "enable_cpu_mem_arena") {
        if (value != "0" && value != "1") {
          throw Error(ErrorCode::kInvalidArgument,
                      "CPUExecutionProvider option enable_cpu_mem_arena must be '0' or '1', got '" +
                          value + "'");
        }
        settings.cpu_arena = value == "1";
      } else if (key == "session.intra_op.allow_spinning") {
        if (value != "0" && value != "1") {
          throw Error(ErrorCode::kInvalidArgument,
                      "CPUExecutionProvider option session.intra_op.allow_spinning must be '0' or "
                      "'1', got '" + value + "'");
        }
        settings.spinning = value == "1";
      } else {
        throw Error(ErrorCode::kInvalidArgument, "unknown CPUExecutionProvider option '" + key +
                                                     "'; known options: " + kKnown);
      }
    }
  }
  if (!settings.intra_op_affinity.empty() && settings.intra_op_threads < 2) {
    throw Error(ErrorCode::kInvalidArgument,
                "a thread affinity needs intra_op_num_threads >= 2: ONNX Runtime pins the pool's "
                "workers (threads - 1), never the calling thread");
  }
  return settings;
}

std::string canonical_provider_name(const std::string& name) { return find_provider(name).canonical; }

std::string append_provider(abi::OrtSessionOptions* options, const ProviderRequest& request,
                            const std::vector<std::string>& available) {
  const ProviderName& p = find_provider(request.name);
  if (std::find(available.begin(), available.end(), p.canonical) == available.end()) {
    return append_plugin(options, request, p.canonical);
  }
  const Api& api = Runtime::get().api();
  const std::string canonical = p.canonical;
  if (canonical == "CUDAExecutionProvider") return append_cuda(api, options, request);
  if (canonical == "TensorrtExecutionProvider") return append_tensorrt(api, options, request);
  KeyValues kv(request);
  return status_message(api.append_provider(options, p.generic_name, kv.keys.data(),
                                            kv.values.data(), kv.keys.size()));
}

}  // namespace faceedge::ort
