#pragma once
// What the engine needs to know about ONNX Runtime, without exposing any Ort* type.
#include <map>
#include <string>
#include <vector>

namespace faceedge {

// One execution provider the caller would like, in order of preference. `name` is the runtime's
// name ("CUDAExecutionProvider") or its short form ("CUDA"); options are the provider's own keys.
struct ProviderRequest {
  std::string name;
  std::map<std::string, std::string> options;
};

struct SessionSettings {
  std::vector<ProviderRequest> providers;  // empty: CPU only
  bool allow_fallback = false;             // true: skip an unavailable provider instead of failing
  int intra_op_threads = 0;                // 0: the runtime's default
  // ONNX Runtime's affinity string for the intra-op pool's workers: one entry per worker
  // (threads - 1; the calling thread is never pinned), entries split by ';', processor ids
  // counted from 1 ("5-8;5-8;5-8"). Empty: the runtime's default placement.
  std::string intra_op_affinity;
  bool cpu_arena = true;                   // the CPU provider's memory arena
  bool spinning = true;                    // workers spin during a run (never after it)
  std::map<std::string, std::string> config_entries;  // AddSessionConfigEntry key/values
};

struct RuntimeInfo {
  std::string version;       // e.g. "1.31.1"
  std::string library_path;  // the file that was dlopened
  std::string build_info;
  std::vector<std::string> available_providers;
  // "OpenVINOExecutionProvider on CPU (Intel)", ... for the built-in providers and the plugin
  // libraries registered so far; empty on a runtime older than 1.22.
  std::vector<std::string> ep_devices;
};

// Where to look for libonnxruntime when FACEEDGE_ORT_LIBRARY is unset (the Python package
// passes the installed wheel's capi/ file here). Takes effect only before the first load.
void set_runtime_library_candidates(const std::vector<std::string>& paths);

// Plugin execution-provider libraries (ONNX Runtime >= 1.22's RegisterExecutionProviderLibrary),
// e.g. the one the onnxruntime-ep-openvino package ships: the Python package passes those of the
// installed onnxruntime-ep-* packages here. They are registered with the runtime when a session
// asks for a provider the runtime does not have built in.
void set_execution_provider_libraries(const std::vector<std::string>& paths);

// Loads the runtime on first call (thread-safe) and reports it; throws Error on failure.
RuntimeInfo runtime_info();

}  // namespace faceedge
