#include "models/quantized_weights.h"

namespace faceedge {

SessionSettings fold_weight_dequantization(SessionSettings settings) {
  settings.config_entries.emplace("session.disable_quant_qdq", "1");
  return settings;
}

}  // namespace faceedge
