#pragma once
#include <string>
#include <vector>

#include "faceedge/runtime.h"
#include "ort/runtime.h"

namespace faceedge::ort {

// The runtime's canonical name for a provider ("cuda" -> "CUDAExecutionProvider"); throws
// Error(kInvalidArgument) for a name no ONNX Runtime build knows.
std::string canonical_provider_name(const std::string& name);

// Folds the CPU entry's options (the runtime's own names: "intra_op_num_threads",
// "session.intra_op_thread_affinities", "enable_cpu_mem_arena") into the settings, which the
// CPU provider takes from the session and the thread pool rather than from an append call.
// Throws Error(kInvalidArgument) for another key, a bad value, or a thread count that
// disagrees with settings.intra_op_threads.
SessionSettings with_cpu_options(SessionSettings settings);

// Appends one provider to the options: a built-in one by name, else one a registered plugin
// library offers (SessionOptionsAppendExecutionProvider_V2). Returns "" on success, else why it
// is unavailable (neither built in nor offered by a plugin on a device here: the message names
// the devices the runtime lists; or its libraries failed to load).
std::string append_provider(abi::OrtSessionOptions* options, const ProviderRequest& request,
                            const std::vector<std::string>& available);

}  // namespace faceedge::ort
