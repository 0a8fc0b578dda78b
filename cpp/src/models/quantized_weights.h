#pragma once
// opencv_zoo's "int8bq" files store weights as int8 blocks behind DequantizeLinear nodes and
// keep activations in fp32. With its QDQ handling on, ONNX Runtime preserves those nodes and
// dequantises every weight on every run; with `session.disable_quant_qdq` = 1 it constant-folds
// them into fp32 weights once at load. Measured here (ORT 1.31.1, 2-core Xeon, 2 threads):
// SFace int8bq 25.8 -> 14.5 ms per face (1 thread 37.9 -> 23.2 ms), YuNet int8bq 640x640
// 9.4 -> 3.3 ms; outputs unchanged (embedding cosine 1.0000000, scores within 2e-7); fp32 files
// run exactly as before. The cost is memory: the folded weights are fp32 (about 4x the int8 size).
// Not for models with quantised activations (real QDQ int8), where the QDQ fusions are the point.
#include "faceedge/runtime.h"

namespace faceedge {

// `settings` plus session.disable_quant_qdq = 1, unless the caller set that key already.
SessionSettings fold_weight_dequantization(SessionSettings settings);

}  // namespace faceedge
