#pragma once
// ONNX Runtime's C ABI, declared by us: opaque handles, one function-pointer type per call we
// make, and the slot each lives at in the append-only OrtApi table (see shared/ort-c-abi.md).
// Only files in src/ort/ include this header.
#include <cstddef>
#include <cstdint>

namespace faceedge::ort::abi {

struct OrtStatus;
struct OrtEnv;
struct OrtSessionOptions;
struct OrtSession;
struct OrtValue;
struct OrtMemoryInfo;
struct OrtAllocator;
struct OrtTypeInfo;
struct OrtTensorTypeAndShapeInfo;
struct OrtRunOptions;
struct OrtCUDAProviderOptionsV2;
struct OrtTensorRTProviderOptionsV2;
struct OrtApi;
struct OrtEpDevice;        // API 22: one (execution provider, hardware device) pair
struct OrtHardwareDevice;  // API 22: a CPU, GPU or NPU the runtime enumerated

// Every slot we resolve at load was present by API 16, the version we request. The plugin
// execution-provider slots (API 22, ONNX Runtime 1.22) are resolved only from runtimes whose
// version string says 1.22 or newer (the table is append-only, so the slots below hold there).
constexpr uint32_t kApiVersion = 16;
constexpr int kPluginEpMinMinorVersion = 22;
constexpr int kMinMinorVersion = 19;  // first PyPI wheels that ship the C library

struct OrtApiBase {
  const OrtApi* (*GetApi)(uint32_t version);
  const char* (*GetVersionString)();
};
using GetApiBaseFn = const OrtApiBase* (*)();

// Enum values (C enums, passed as int).
constexpr int kLoggingError = 3;
constexpr int kArenaAllocator = 1;
constexpr int kMemTypeDefault = 0;
constexpr int kGraphOptimizeAll = 99;
constexpr int kOnnxTypeTensor = 1;
// OrtHardwareDeviceType (API 22).
constexpr int kHardwareCpu = 0;
constexpr int kHardwareGpu = 1;
constexpr int kHardwareNpu = 2;

// Slots.
enum Slot : size_t {
  kCreateStatus = 0,
  kGetErrorCode = 1,
  kGetErrorMessage = 2,
  kCreateEnv = 3,
  kDisableTelemetryEvents = 6,
  kCreateSession = 7,
  kRun = 9,
  kCreateSessionOptions = 10,
  kEnableCpuMemArena = 18,
  kDisableCpuMemArena = 19,
  kSetSessionGraphOptimizationLevel = 23,
  kSetIntraOpNumThreads = 24,
  kSessionGetInputCount = 30,
  kSessionGetOutputCount = 31,
  kSessionGetInputTypeInfo = 33,
  kSessionGetOutputTypeInfo = 34,
  kSessionGetInputName = 36,
  kSessionGetOutputName = 37,
  kCreateTensorWithDataAsOrtValue = 49,
  kGetTensorMutableData = 51,
  kCastTypeInfoToTensorInfo = 55,
  kGetOnnxTypeFromTypeInfo = 56,
  kGetTensorElementType = 60,
  kGetDimensionsCount = 61,
  kGetDimensions = 62,
  kGetTensorTypeAndShape = 65,
  kCreateCpuMemoryInfo = 69,
  kAllocatorFree = 76,
  kGetAllocatorWithDefaultOptions = 78,
  kReleaseEnv = 92,
  kReleaseStatus = 93,
  kReleaseMemoryInfo = 94,
  kReleaseSession = 95,
  kReleaseValue = 96,
  kReleaseTypeInfo = 98,
  kReleaseTensorTypeAndShapeInfo = 99,
  kReleaseSessionOptions = 100,
  kGetAvailableProviders = 125,
  kReleaseAvailableProviders = 126,
  kAddSessionConfigEntry = 130,
  kSessionOptionsAppendExecutionProvider_TensorRT_V2 = 170,
  kCreateTensorRTProviderOptions = 171,
  kUpdateTensorRTProviderOptions = 172,
  kReleaseTensorRTProviderOptions = 174,
  kSessionOptionsAppendExecutionProvider_CUDA_V2 = 204,
  kCreateCUDAProviderOptions = 205,
  kUpdateCUDAProviderOptions = 206,
  kReleaseCUDAProviderOptions = 208,
  kSessionOptionsAppendExecutionProvider = 216,
  kGetBuildInfoString = 254,
  // Plugin execution providers, API 22 (slots from the 1.29 header, shared/ort-c-abi.md; the
  // table is append-only). Resolved only on runtimes >= 1.22. Checked on 1.32.0 (stock wheel)
  // and 1.24.1 (onnxruntime-openvino): GetEpDevices read through these slots names
  // "CPUExecutionProvider on CPU (AMD)", and the OpenVINO plugin library registers.
  // The library path is ORTCHAR_T: char on Linux/macOS (wchar_t on Windows, not built here).
  kRegisterExecutionProviderLibrary = 301,  // (env, registration name, library path) -> status
  kGetEpDevices = 303,                      // (env, &const OrtEpDevice* const*, &count) -> status
  kSessionOptionsAppendExecutionProvider_V2 = 304,  // (options, env, devices, n, keys, values, n)
  kHardwareDevice_Type = 307,               // (device) -> OrtHardwareDeviceType
  kHardwareDevice_Vendor = 309,             // (device) -> const char*, owned by the runtime
  kEpDevice_EpName = 312,                   // (ep device) -> const char*, e.g. "OpenVINOExecutionProvider"
  kEpDevice_EpVendor = 313,                 // (ep device) -> const char*
  kEpDevice_Device = 316,                   // (ep device) -> const OrtHardwareDevice*
};

// Function shapes.
using CreateStatusFn = OrtStatus* (*)(int code, const char* msg);
using GetErrorCodeFn = int (*)(const OrtStatus*);
using GetErrorMessageFn = const char* (*)(const OrtStatus*);
using ReleaseStatusFn = void (*)(OrtStatus*);
using CreateEnvFn = OrtStatus* (*)(int level, const char* logid, OrtEnv** out);
using EnvOnlyFn = OrtStatus* (*)(const OrtEnv*);
using ReleaseEnvFn = void (*)(OrtEnv*);
using CreateSessionFn = OrtStatus* (*)(const OrtEnv*, const char* path, const OrtSessionOptions*,
                                       OrtSession** out);
using RunFn = OrtStatus* (*)(OrtSession*, const OrtRunOptions*, const char* const* input_names,
                             const OrtValue* const* inputs, size_t n_inputs,
                             const char* const* output_names, size_t n_outputs,
                             OrtValue** outputs);
using CreateSessionOptionsFn = OrtStatus* (*)(OrtSessionOptions** out);
using OptionsIntFn = OrtStatus* (*)(OrtSessionOptions*, int);
using OptionsOnlyFn = OrtStatus* (*)(OrtSessionOptions*);
using SessionCountFn = OrtStatus* (*)(const OrtSession*, size_t* out);
using SessionTypeInfoFn = OrtStatus* (*)(const OrtSession*, size_t index, OrtTypeInfo** out);
using SessionNameFn = OrtStatus* (*)(const OrtSession*, size_t index, OrtAllocator*, char** out);
using CreateTensorWithDataFn = OrtStatus* (*)(const OrtMemoryInfo*, void* data, size_t bytes,
                                              const int64_t* shape, size_t rank, int elem_type,
                                              OrtValue** out);
using GetTensorMutableDataFn = OrtStatus* (*)(OrtValue*, void** out);
using CastTypeInfoToTensorInfoFn = OrtStatus* (*)(const OrtTypeInfo*,
                                                  const OrtTensorTypeAndShapeInfo** out);
using GetOnnxTypeFromTypeInfoFn = OrtStatus* (*)(const OrtTypeInfo*, int* out);
using GetTensorElementTypeFn = OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, int* out);
using GetDimensionsCountFn = OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, size_t* out);
using GetDimensionsFn = OrtStatus* (*)(const OrtTensorTypeAndShapeInfo*, int64_t* dims, size_t n);
using GetTensorTypeAndShapeFn = OrtStatus* (*)(const OrtValue*, OrtTensorTypeAndShapeInfo** out);
using CreateCpuMemoryInfoFn = OrtStatus* (*)(int alloc_type, int mem_type, OrtMemoryInfo** out);
using AllocatorFreeFn = OrtStatus* (*)(OrtAllocator*, void* p);
using GetDefaultAllocatorFn = OrtStatus* (*)(OrtAllocator** out);
using ReleaseMemoryInfoFn = void (*)(OrtMemoryInfo*);
using ReleaseSessionFn = void (*)(OrtSession*);
using ReleaseValueFn = void (*)(OrtValue*);
using ReleaseTypeInfoFn = void (*)(OrtTypeInfo*);
using ReleaseTensorInfoFn = void (*)(OrtTensorTypeAndShapeInfo*);
using ReleaseSessionOptionsFn = void (*)(OrtSessionOptions*);
using GetAvailableProvidersFn = OrtStatus* (*)(char*** names, int* count);
using ReleaseAvailableProvidersFn = OrtStatus* (*)(char** names, int count);
using AddSessionConfigEntryFn = OrtStatus* (*)(OrtSessionOptions*, const char* key,
                                               const char* value);
using AppendTensorRTV2Fn = OrtStatus* (*)(OrtSessionOptions*, const OrtTensorRTProviderOptionsV2*);
using CreateTensorRTOptionsFn = OrtStatus* (*)(OrtTensorRTProviderOptionsV2** out);
using UpdateTensorRTOptionsFn = OrtStatus* (*)(OrtTensorRTProviderOptionsV2*, const char* const* keys,
                                               const char* const* values, size_t n);
using ReleaseTensorRTOptionsFn = void (*)(OrtTensorRTProviderOptionsV2*);
using AppendCudaV2Fn = OrtStatus* (*)(OrtSessionOptions*, const OrtCUDAProviderOptionsV2*);
using CreateCudaOptionsFn = OrtStatus* (*)(OrtCUDAProviderOptionsV2** out);
using UpdateCudaOptionsFn = OrtStatus* (*)(OrtCUDAProviderOptionsV2*, const char* const* keys,
                                           const char* const* values, size_t n);
using ReleaseCudaOptionsFn = void (*)(OrtCUDAProviderOptionsV2*);
using AppendProviderFn = OrtStatus* (*)(OrtSessionOptions*, const char* name, const char* const* keys,
                                        const char* const* values, size_t n);
using GetBuildInfoStringFn = const char* (*)();
// Plugin execution providers (API 22). The device array GetEpDevices returns belongs to the env.
using RegisterEpLibraryFn = OrtStatus* (*)(OrtEnv*, const char* registration_name, const char* path);
using GetEpDevicesFn = OrtStatus* (*)(const OrtEnv*, const OrtEpDevice* const** devices, size_t* count);
using AppendProviderV2Fn = OrtStatus* (*)(OrtSessionOptions*, OrtEnv*, const OrtEpDevice* const* devices,
                                          size_t n_devices, const char* const* keys,
                                          const char* const* values, size_t n_options);
using HardwareDeviceTypeFn = int (*)(const OrtHardwareDevice*);
using HardwareDeviceTextFn = const char* (*)(const OrtHardwareDevice*);
using EpDeviceTextFn = const char* (*)(const OrtEpDevice*);
using EpDeviceDeviceFn = const OrtHardwareDevice* (*)(const OrtEpDevice*);

}  // namespace faceedge::ort::abi
