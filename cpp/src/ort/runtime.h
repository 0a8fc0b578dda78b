#pragma once
// The loaded runtime: library handle, the typed function table, the process-wide env.
#include <string>
#include <vector>

#include "ort/abi.h"

namespace faceedge::ort {

// Every slot we call, resolved once and checked non-null. Call sites read api.run(...), never a
// raw index.
struct Api {
  abi::CreateStatusFn create_status;
  abi::GetErrorCodeFn get_error_code;
  abi::GetErrorMessageFn get_error_message;
  abi::ReleaseStatusFn release_status;
  abi::CreateEnvFn create_env;
  abi::EnvOnlyFn disable_telemetry_events;
  abi::ReleaseEnvFn release_env;
  abi::CreateSessionFn create_session;
  abi::RunFn run;
  abi::CreateSessionOptionsFn create_session_options;
  abi::OptionsIntFn set_graph_optimization_level;
  abi::OptionsIntFn set_intra_op_num_threads;
  abi::OptionsOnlyFn enable_cpu_mem_arena;
  abi::OptionsOnlyFn disable_cpu_mem_arena;
  abi::SessionCountFn session_get_input_count;
  abi::SessionCountFn session_get_output_count;
  abi::SessionTypeInfoFn session_get_input_type_info;
  abi::SessionTypeInfoFn session_get_output_type_info;
  abi::SessionNameFn session_get_input_name;
  abi::SessionNameFn session_get_output_name;
  abi::CreateTensorWithDataFn create_tensor_with_data;
  abi::GetTensorMutableDataFn get_tensor_mutable_data;
  abi::CastTypeInfoToTensorInfoFn cast_type_info_to_tensor_info;
  abi::GetOnnxTypeFromTypeInfoFn get_onnx_type_from_type_info;
  abi::GetTensorElementTypeFn get_tensor_element_type;
  abi::GetDimensionsCountFn get_dimensions_count;
  abi::GetDimensionsFn get_dimensions;
  abi::GetTensorTypeAndShapeFn get_tensor_type_and_shape;
  abi::CreateCpuMemoryInfoFn create_cpu_memory_info;
  abi::AllocatorFreeFn allocator_free;
  abi::GetDefaultAllocatorFn get_allocator_with_default_options;
  abi::ReleaseMemoryInfoFn release_memory_info;
  abi::ReleaseSessionFn release_session;
  abi::ReleaseValueFn release_value;
  abi::ReleaseTypeInfoFn release_type_info;
  abi::ReleaseTensorInfoFn release_tensor_type_and_shape_info;
  abi::ReleaseSessionOptionsFn release_session_options;
  abi::GetAvailableProvidersFn get_available_providers;
  abi::ReleaseAvailableProvidersFn release_available_providers;
  abi::AddSessionConfigEntryFn add_session_config_entry;
  abi::AppendTensorRTV2Fn append_tensorrt_v2;
  abi::CreateTensorRTOptionsFn create_tensorrt_options;
  abi::UpdateTensorRTOptionsFn update_tensorrt_options;
  abi::ReleaseTensorRTOptionsFn release_tensorrt_options;
  abi::AppendCudaV2Fn append_cuda_v2;
  abi::CreateCudaOptionsFn create_cuda_options;
  abi::UpdateCudaOptionsFn update_cuda_options;
  abi::ReleaseCudaOptionsFn release_cuda_options;
  abi::AppendProviderFn append_provider;
  abi::GetBuildInfoStringFn get_build_info_string;
};

// The plugin execution-provider calls (API 22). All null on a runtime older than 1.22.
struct PluginEpApi {
  abi::RegisterEpLibraryFn register_library = nullptr;
  abi::GetEpDevicesFn get_ep_devices = nullptr;
  abi::AppendProviderV2Fn append_v2 = nullptr;
  abi::HardwareDeviceTypeFn hardware_type = nullptr;
  abi::HardwareDeviceTextFn hardware_vendor = nullptr;
  abi::EpDeviceTextFn ep_name = nullptr;
  abi::EpDeviceTextFn ep_vendor = nullptr;
  abi::EpDeviceDeviceFn ep_hardware = nullptr;
};

// One (execution provider, device) pair the runtime lists; `handle` belongs to the env.
struct EpDevice {
  const abi::OrtEpDevice* handle = nullptr;
  std::string ep_name;      // "OpenVINOExecutionProvider"
  std::string ep_vendor;    // "Intel"
  std::string device_type;  // "CPU", "GPU", "NPU"
  std::string device_vendor;
  std::string describe() const;  // "OpenVINOExecutionProvider on GPU (Intel)"
};

class Runtime {
 public:
  // Loads the library, the table and the env on first use (thread-safe); throws Error.
  static const Runtime& get();

  const Api& api() const { return api_; }
  abi::OrtEnv* env() const { return env_; }
  const std::string& version() const { return version_; }
  const std::string& library_path() const { return library_path_; }
  std::vector<std::string> available_providers() const;

  // Plugin execution providers (ONNX Runtime >= 1.22): null when this runtime is older.
  const PluginEpApi* plugin_api() const { return plugin_.register_library ? &plugin_ : nullptr; }
  // Registers every plugin library set_execution_provider_libraries named that is not registered
  // yet (once per process); returns one line per library that failed, else "".
  std::string register_plugin_libraries() const;
  // The plugin libraries the env accepted so far.
  std::vector<std::string> registered_plugin_libraries() const;
  // The (provider, device) pairs of the env: the built-in providers' and the registered plugins'.
  std::vector<EpDevice> ep_devices() const;

 private:
  Runtime() = default;
  Api api_{};
  abi::OrtEnv* env_ = nullptr;
  void* library_ = nullptr;
  std::string version_;
  std::string library_path_;
  PluginEpApi plugin_{};
};

// The one choke point for status-returning calls: a non-null status becomes an Error carrying
// `what` and the runtime's own message; the status is always released.
void check(abi::OrtStatus* status, const std::string& what);
// Same, but returns the message instead of throwing ("" on success).
std::string status_message(abi::OrtStatus* status);

}  // namespace faceedge::ort
