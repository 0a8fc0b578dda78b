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

}  // namespace

std::string canonical_provider_name(const std::string& name) { return find_provider(name).canonical; }

std::string append_provider(abi::OrtSessionOptions* options, const ProviderRequest& request,
                            const std::vector<std::string>& available) {
  const ProviderName& p = find_provider(request.name);
  if (std::find(available.begin(), available.end(), p.canonical) == available.end()) {
    return std::string(p.canonical) + " is not in this ONNX Runtime build";
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
