#pragma once
// The only ONNX Runtime types the rest of the core sees. No Ort* pointer crosses this header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faceedge/runtime.h"

namespace faceedge::ort {

enum class ElementType : int { kFloat = 1, kUint8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kDouble = 11 };

struct TensorSpec {
  std::string name;
  int element_type = 0;          // ONNXTensorElementDataType value
  std::vector<int64_t> shape;    // -1 for a dynamic dimension
};

// A borrowed input: the caller's buffer must live until run() returns.
struct InputTensor {
  std::string name;
  ElementType type = ElementType::kFloat;
  const void* data = nullptr;
  std::vector<int64_t> shape;
};

// An owned output, copied out of the runtime's buffer.
struct OutputTensor {
  std::string name;
  ElementType type = ElementType::kFloat;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  const float* as_float() const { return reinterpret_cast<const float*>(bytes.data()); }
  size_t element_count() const;
};

class Session {
 public:
  Session(const std::string& model_path, const SessionSettings& settings);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::vector<TensorSpec>& inputs() const { return inputs_; }
  const std::vector<TensorSpec>& outputs() const { return outputs_; }
  const std::string& model_path() const { return model_path_; }
  // The execution providers that were appended, best first; always ends with CPU.
  const std::vector<std::string>& providers() const { return providers_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Runs the model; an empty `output_names` means every output. Thread-safe.
  std::vector<OutputTensor> run(const std::vector<InputTensor>& inputs,
                                const std::vector<std::string>& output_names = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string model_path_;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
  std::vector<std::string> providers_;
  std::vector<std::string> warnings_;
};

// Reads an ORT-created status object back: used by the tests to prove the status path.
std::string status_round_trip(int code, const std::string& message);

}  // namespace faceedge::ort
