#pragma once
// Construction-time checks that a model file has the tensors its family reads, and run-time
// lookup of outputs by name. Every failure names the file and what was expected.
#include <string>
#include <vector>

#include "ort/session.h"

namespace faceedge {

// The input/output called `name`; Error(kModelInvalid) naming the file and the tensors it has.
const ort::TensorSpec& expect_input(const ort::Session& session, const std::string& name);
const ort::TensorSpec& expect_output(const ort::Session& session, const std::string& name);

// Error(kModelInvalid) unless `spec` is float32 with `rank` dimensions.
void expect_float_tensor(const ort::Session& session, const ort::TensorSpec& spec, size_t rank);

// The run() result called `name`, as float32 with exactly `count` values; else kInferenceFailed.
const float* output_values(const ort::Session& session,
                           const std::vector<ort::OutputTensor>& outputs, const std::string& name,
                           size_t count);

}  // namespace faceedge
