#pragma once
#include <string>
#include <vector>

#include "faceedge/runtime.h"
#include "ort/runtime.h"

namespace faceedge::ort {

// The runtime's canonical name for a provider ("cuda" -> "CUDAExecutionProvider"); throws
// Error(kInvalidArgument) for a name no ONNX Runtime build knows.
std::string canonical_provider_name(const std::string& name);

// Appends one provider to the options. Returns "" on success, else why it is unavailable
// (not compiled into this runtime, or its libraries failed to load).
std::string append_provider(abi::OrtSessionOptions* options, const ProviderRequest& request,
                            const std::vector<std::string>& available);

}  // namespace faceedge::ort
