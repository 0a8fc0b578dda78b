#include "models/session_checks.h"

#include "faceedge/error.h"

namespace faceedge {
namespace {

std::string names_of(const std::vector<ort::TensorSpec>& specs) {
  std::string out;
  for (const ort::TensorSpec& s : specs) out += (out.empty() ? "" : ", ") + s.name;
  return out.empty() ? "none" : out;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

const ort::TensorSpec& expect_named(const ort::Session& session,
                                    const std::vector<ort::TensorSpec>& specs,
                                    const std::string& name, const char* kind) {
  for (const ort::TensorSpec& s : specs) {
    if (s.name == name) return s;
  }
  throw Error(ErrorCode::kModelInvalid, session.model_path() + ": expected " + kind + " " + name +
                                            ", the model has " + names_of(specs));
}

}  // namespace

const ort::TensorSpec& expect_input(const ort::Session& session, const std::string& name) {
  return expect_named(session, session.inputs(), name, "input");
}

const ort::TensorSpec& expect_output(const ort::Session& session, const std::string& name) {
  return expect_named(session, session.outputs(), name, "output");
}

void expect_float_tensor(const ort::Session& session, const ort::TensorSpec& spec, size_t rank) {
  const bool is_float = spec.element_type == static_cast<int>(ort::ElementType::kFloat);
  if (!is_float || spec.shape.size() != rank) {
    throw Error(ErrorCode::kModelInvalid,
                session.model_path() + ": expected " + spec.name + " to be a float32 tensor of " +
                    "rank " + std::to_string(rank) + ", got element type " +
                    std::to_string(spec.element_type) + " shape " + shape_text(spec.shape));
  }
}

const float* output_values(const ort::Session& session,
                           const std::vector<ort::OutputTensor>& outputs, const std::string& name,
                           size_t count) {
  for (const ort::OutputTensor& t : outputs) {
    if (t.name != name) continue;
    if (t.type != ort::ElementType::kFloat || t.element_count() != count) {
      throw Error(ErrorCode::kInferenceFailed,
                  session.model_path() + ": output " + name + " has shape " + shape_text(t.shape) +
                      ", expected " + std::to_string(count) + " float32 values");
    }
    return t.as_float();
  }
  throw Error(ErrorCode::kInferenceFailed,
              session.model_path() + ": the run returned no output " + name);
}

}  // namespace faceedge
