#include "ort/runtime.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>

#include "faceedge/error.h"
#include "faceedge/runtime.h"

namespace faceedge::ort {
namespace {

std::mutex g_mutex;
std::vector<std::string> g_candidates;
std::unique_ptr<Runtime> g_runtime;
std::mutex g_plugin_mutex;                      // guards the two below
std::vector<std::string> g_plugin_libraries;    // from set_execution_provider_libraries
std::vector<std::string> g_plugins_registered;  // paths already tried with the env
std::vector<std::string> g_plugins_accepted;    // those the env accepted

template <typename Fn>
void resolve(const abi::OrtApi* table, size_t slot, Fn& out, const char* name) {
  auto entries = reinterpret_cast<void* const*>(table);
  out = reinterpret_cast<Fn>(entries[slot]);
  if (out == nullptr) {
    throw Error(ErrorCode::kRuntimeTooOld,
                std::string("ONNX Runtime table has no function ") + name + " at slot " +
                    std::to_string(slot));
  }
}

Api resolve_api(const abi::OrtApi* t) {
  using namespace abi;
  Api a{};
#define FACEEDGE_RESOLVE(member, slot) resolve(t, slot, a.member, #slot)
  FACEEDGE_RESOLVE(create_status, kCreateStatus);
  FACEEDGE_RESOLVE(get_error_code, kGetErrorCode);
  FACEEDGE_RESOLVE(get_error_message, kGetErrorMessage);
  FACEEDGE_RESOLVE(release_status, kReleaseStatus);
  FACEEDGE_RESOLVE(create_env, kCreateEnv);
  FACEEDGE_RESOLVE(disable_telemetry_events, kDisableTelemetryEvents);
  FACEEDGE_RESOLVE(release_env, kReleaseEnv);
  FACEEDGE_RESOLVE(create_session, kCreateSession);
  FACEEDGE_RESOLVE(run, kRun);
  FACEEDGE_RESOLVE(create_session_options, kCreateSessionOptions);
  FACEEDGE_RESOLVE(set_graph_optimization_level, kSetSessionGraphOptimizationLevel);
  FACEEDGE_RESOLVE(set_intra_op_num_threads, kSetIntraOpNumThreads);
  FACEEDGE_RESOLVE(enable_cpu_mem_arena, kEnableCpuMemArena);
  FACEEDGE_RESOLVE(disable_cpu_mem_arena, kDisableCpuMemArena);
  FACEEDGE_RESOLVE(session_get_input_count, kSessionGetInputCount);
  FACEEDGE_RESOLVE(session_get_output_count, kSessionGetOutputCount);
  FACEEDGE_RESOLVE(session_get_input_type_info, kSessionGetInputTypeInfo);
  FACEEDGE_RESOLVE(session_get_output_type_info, kSessionGetOutputTypeInfo);
  FACEEDGE_RESOLVE(session_get_input_name, kSessionGetInputName);
  FACEEDGE_RESOLVE(session_get_output_name, kSessionGetOutputName);
  FACEEDGE_RESOLVE(create_tensor_with_data, kCreateTensorWithDataAsOrtValue);
  FACEEDGE_RESOLVE(get_tensor_mutable_data, kGetTensorMutableData);
  FACEEDGE_RESOLVE(cast_type_info_to_tensor_info, kCastTypeInfoToTensorInfo);
  FACEEDGE_RESOLVE(get_onnx_type_from_type_info, kGetOnnxTypeFromTypeInfo);
  FACEEDGE_RESOLVE(get_tensor_element_type, kGetTensorElementType);
  FACEEDGE_RESOLVE(get_dimensions_count, kGetDimensionsCount);
  FACEEDGE_RESOLVE(get_dimensions, kGetDimensions);
  FACEEDGE_RESOLVE(get_tensor_type_and_shape, kGetTensorTypeAndShape);
  FACEEDGE_RESOLVE(create_cpu_memory_info, kCreateCpuMemoryInfo);
  FACEEDGE_RESOLVE(allocator_free, kAllocatorFree);
  FACEEDGE_RESOLVE(get_allocator_with_default_options, kGetAllocatorWithDefaultOptions);
  FACEEDGE_RESOLVE(release_memory_info, kReleaseMemoryInfo);
  FACEEDGE_RESOLVE(release_session, kReleaseSession);
  FACEEDGE_RESOLVE(release_value, kReleaseValue);
  FACEEDGE_RESOLVE(release_type_info, kReleaseTypeInfo);
  FACEEDGE_RESOLVE(release_tensor_type_and_shape_info, kReleaseTensorTypeAndShapeInfo);
  FACEEDGE_RESOLVE(release_session_options, kReleaseSessionOptions);
  FACEEDGE_RESOLVE(get_available_providers, kGetAvailableProviders);
  FACEEDGE_RESOLVE(release_available_providers, kReleaseAvailableProviders);
  FACEEDGE_RESOLVE(add_session_config_entry, kAddSessionConfigEntry);
  FACEEDGE_RESOLVE(append_tensorrt_v2, kSessionOptionsAppendExecutionProvider_TensorRT_V2);
  FACEEDGE_RESOLVE(create_tensorrt_options, kCreateTensorRTProviderOptions);
  FACEEDGE_RESOLVE(update_tensorrt_options, kUpdateTensorRTProviderOptions);
  FACEEDGE_RESOLVE(release_tensorrt_options, kReleaseTensorRTProviderOptions);
  FACEEDGE_RESOLVE(append_cuda_v2, kSessionOptionsAppendExecutionProvider_CUDA_V2);
  FACEEDGE_RESOLVE(create_cuda_options, kCreateCUDAProviderOptions);
  FACEEDGE_RESOLVE(update_cuda_options, kUpdateCUDAProviderOptions);
  FACEEDGE_RESOLVE(release_cuda_options, kReleaseCUDAProviderOptions);
  FACEEDGE_RESOLVE(append_provider, kSessionOptionsAppendExecutionProvider);
  FACEEDGE_RESOLVE(get_build_info_string, kGetBuildInfoString);
#undef FACEEDGE_RESOLVE
  return a;
}

PluginEpApi resolve_plugin_api(const abi::OrtApi* t) {
  using namespace abi;
  PluginEpApi p{};
#define FACEEDGE_RESOLVE(member, slot) resolve(t, slot, p.member, #slot)
  FACEEDGE_RESOLVE(register_library, kRegisterExecutionProviderLibrary);
  FACEEDGE_RESOLVE(get_ep_devices, kGetEpDevices);
  FACEEDGE_RESOLVE(append_v2, kSessionOptionsAppendExecutionProvider_V2);
  FACEEDGE_RESOLVE(hardware_type, kHardwareDevice_Type);
  FACEEDGE_RESOLVE(hardware_vendor, kHardwareDevice_Vendor);
  FACEEDGE_RESOLVE(ep_name, kEpDevice_EpName);
  FACEEDGE_RESOLVE(ep_vendor, kEpDevice_EpVendor);
  FACEEDGE_RESOLVE(ep_hardware, kEpDevice_Device);
#undef FACEEDGE_RESOLVE
  return p;
}

// The registration name of a plugin library: its file name without folders and suffixes.
std::string registration_name(const std::string& path) {
  std::string name = path.substr(path.find_last_of("/\\") + 1);
  return name.substr(0, name.find('.'));
}

// "1.31.1" -> (1, 31); (0, 0) when unparsable.
std::pair<int, int> parse_version(const std::string& v) {
  int major = 0, minor = 0;
  char dot = 0;
  std::istringstream in(v);
  in >> major >> dot >> minor;
  return in.fail() ? std::make_pair(0, 0) : std::make_pair(major, minor);
}

std::vector<std::string> library_candidates(bool* from_env) {
  const char* explicit_path = std::getenv("FACEEDGE_ORT_LIBRARY");
  *from_env = explicit_path != nullptr && *explicit_path != '\0';
  if (*from_env) return {explicit_path};
  std::vector<std::string> paths = g_candidates;
#if defined(__APPLE__)
  paths.push_back("libonnxruntime.dylib");
#else
  paths.push_back("libonnxruntime.so.1");  // a system or vendor install (e.g. JetPack builds)
#endif
  return paths;
}

// Reads and releases a status without going through Runtime::get() (used while loading).
std::string status_message_of(const Api& api, abi::OrtStatus* status) {
  if (status == nullptr) return "";
  std::string message = api.get_error_message(status);
  api.release_status(status);
  return message.empty() ? "unknown error" : message;
}

}  // namespace

void check(abi::OrtStatus* status, const std::string& what) {
  if (status == nullptr) return;
  const Api& api = Runtime::get().api();
  int code = api.get_error_code(status);
  std::string message = api.get_error_message(status);
  api.release_status(status);
  ErrorCode ours = code == 3 ? ErrorCode::kModelNotFound
                 : code == 7 || code == 10 ? ErrorCode::kModelInvalid
                                           : ErrorCode::kInferenceFailed;
  throw Error(ours, what + ": " + message + " (ONNX Runtime code " + std::to_string(code) + ")");
}

std::string status_message(abi::OrtStatus* status) {
  return status_message_of(Runtime::get().api(), status);
}

const Runtime& Runtime::get() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_runtime) return *g_runtime;

  // Biometric software must not phone home, nor leave a device id in ~/.cache: the runtime
  // reads this before its first environment exists.
  setenv("ORT_DISABLE_TELEMETRY", "1", 1);

  bool from_env = false;
  std::string tried;
  void* handle = nullptr;
  std::string path;
  for (const std::string& candidate : library_candidates(&from_env)) {
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
      path = candidate;
      break;
    }
    const char* why = dlerror();
    tried += "\n  " + candidate + ": " + (why ? why : "not loadable");
  }
  if (handle == nullptr) {
    throw Error(ErrorCode::kRuntimeUnavailable,
                std::string("cannot load the ONNX Runtime library") +
                    (from_env ? " named by FACEEDGE_ORT_LIBRARY" : "") +
                    "; install the onnxruntime package (>= 1.19) or set FACEEDGE_ORT_LIBRARY. "
                    "Tried:" + tried);
  }
  // The library stays loaded for the life of the process: sessions and the env live in it.
  auto get_base = reinterpret_cast<abi::GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
  if (get_base == nullptr) {
    throw Error(ErrorCode::kRuntimeUnavailable, path + " is not an ONNX Runtime library (no OrtGetApiBase)");
  }
  const abi::OrtApiBase* base = get_base();
  std::string version = base && base->GetVersionString ? base->GetVersionString() : "";
  auto [major, minor] = parse_version(version);
  // Compare before GetApi: a too-old runtime answers GetApi(16) with NULL and a stderr line.
  if (major != 1 || minor < 16) {
    throw Error(ErrorCode::kRuntimeTooOld,
                path + " is ONNX Runtime '" + version + "'; faceedge needs API " +
                    std::to_string(abi::kApiVersion) + " (ONNX Runtime 1.16 or newer; the "
                    "PyPI onnxruntime wheels ship their C library from 1.19)");
  }
  const abi::OrtApi* table = base->GetApi(abi::kApiVersion);
  if (table == nullptr) {
    throw Error(ErrorCode::kRuntimeTooOld, path + " (" + version + ") refused API version 16");
  }

  std::unique_ptr<Runtime> rt(new Runtime());
  rt->api_ = resolve_api(table);
  if (minor >= abi::kPluginEpMinMinorVersion) rt->plugin_ = resolve_plugin_api(table);
  rt->library_ = handle;
  rt->version_ = version;
  rt->library_path_ = path;

  // No process-wide pool: each session builds its own (see Session). A shared pool cannot stop
  // spinning when a run ends, so it either spins between frames or never spins at all.
  const Api& api = rt->api_;
  abi::OrtEnv* env = nullptr;
  const std::string why = status_message_of(api, api.create_env(abi::kLoggingError, "faceedge", &env));
  if (!why.empty()) {
    throw Error(ErrorCode::kRuntimeUnavailable, "ONNX Runtime environment: " + why);
  }
  abi::OrtStatus* status = nullptr;
  rt->env_ = env;
  status = rt->api_.disable_telemetry_events(env);
  if (status != nullptr) rt->api_.release_status(status);  // telemetry is already off by env var
  g_runtime = std::move(rt);
  return *g_runtime;
}

std::vector<std::string> Runtime::available_providers() const {
  char** names = nullptr;
  int count = 0;
  abi::OrtStatus* status = api_.get_available_providers(&names, &count);
  if (status != nullptr) {
    std::string message = api_.get_error_message(status);
    api_.release_status(status);
    throw Error(ErrorCode::kRuntimeUnavailable, "GetAvailableProviders failed: " + message);
  }
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.emplace_back(names[i]);
  status = api_.release_available_providers(names, count);
  if (status != nullptr) api_.release_status(status);
  return out;
}

std::string EpDevice::describe() const {
  std::string text = ep_name + " on " + device_type;
  if (!device_vendor.empty()) text += " (" + device_vendor + ")";
  return text;
}

std::string Runtime::register_plugin_libraries() const {
  if (plugin_api() == nullptr) return "";
  std::lock_guard<std::mutex> lock(g_plugin_mutex);
  std::string failures;
  for (const std::string& path : g_plugin_libraries) {
    if (std::find(g_plugins_registered.begin(), g_plugins_registered.end(), path) !=
        g_plugins_registered.end()) {
      continue;
    }
    g_plugins_registered.push_back(path);  // tried once: a failure does not get better
    std::string why = status_message_of(
        api_, plugin_.register_library(env_, registration_name(path).c_str(), path.c_str()));
    if (why.empty()) {
      g_plugins_accepted.push_back(path);
    } else {
      failures += "\n  " + path + ": " + why;
    }
  }
  return failures;
}

std::vector<std::string> Runtime::registered_plugin_libraries() const {
  std::lock_guard<std::mutex> lock(g_plugin_mutex);
  return g_plugins_accepted;
}

std::vector<EpDevice> Runtime::ep_devices() const {
  std::vector<EpDevice> out;
  if (plugin_api() == nullptr) return out;
  const abi::OrtEpDevice* const* devices = nullptr;
  size_t count = 0;
  std::string why = status_message_of(api_, plugin_.get_ep_devices(env_, &devices, &count));
  if (!why.empty()) throw Error(ErrorCode::kRuntimeUnavailable, "GetEpDevices failed: " + why);
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  for (size_t i = 0; i < count; ++i) {
    EpDevice d;
    d.handle = devices[i];
    d.ep_name = text(plugin_.ep_name(devices[i]));
    d.ep_vendor = text(plugin_.ep_vendor(devices[i]));
    const abi::OrtHardwareDevice* hw = plugin_.ep_hardware(devices[i]);
    if (hw != nullptr) {
      const int type = plugin_.hardware_type(hw);
      d.device_type = type == abi::kHardwareCpu ? "CPU"
                    : type == abi::kHardwareGpu ? "GPU"
                    : type == abi::kHardwareNpu ? "NPU"
                                                : "device type " + std::to_string(type);
      d.device_vendor = text(plugin_.hardware_vendor(hw));
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::string status_round_trip(int code, const std::string& message) {
  const Api& api = Runtime::get().api();
  abi::OrtStatus* status = api.create_status(code, message.c_str());
  int read_code = api.get_error_code(status);
  std::string read_message = api.get_error_message(status);
  api.release_status(status);
  return std::to_string(read_code) + ":" + read_message;
}

}  // namespace faceedge::ort

namespace faceedge {

void set_runtime_library_candidates(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(ort::g_mutex);
  ort::g_candidates = paths;
}

void set_execution_provider_libraries(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(ort::g_plugin_mutex);
  ort::g_plugin_libraries = paths;
}

RuntimeInfo runtime_info() {
  const ort::Runtime& rt = ort::Runtime::get();
  RuntimeInfo info;
  info.version = rt.version();
  info.library_path = rt.library_path();
  info.build_info = rt.api().get_build_info_string();
  info.available_providers = rt.available_providers();
  for (const ort::EpDevice& d : rt.ep_devices()) info.ep_devices.push_back(d.describe());
  return info;
}

}  // namespace faceedge
