#pragma once
#include <memory>
#include <string>
#include <vector>

#include "faceedge/align.h"
#include "faceedge/detector.h"
#include "faceedge/embedder.h"
#include "faceedge/model_spec.h"
#include "faceedge/runtime.h"
#include "faceedge/types.h"

namespace faceedge {

struct EngineConfig {
  ModelSpec detector;
  ModelSpec embedder;
  SessionSettings session;
};

// The orchestrator: detect -> pose -> sort/limit -> align -> embed. Immutable after
// construction, so every method may be called from many threads at once.
class Engine {
 public:
  explicit Engine(const EngineConfig& config);
  ~Engine();

  std::vector<Face> detect(const ImageView& image, const DetectOptions& options) const;
  // One L2-normalised row of embedding_dim() floats per face, in the order given.
  std::vector<float> embed(const ImageView& image, const std::vector<Face>& faces) const;
  int embedding_dim() const;
  std::vector<std::string> providers() const;

 private:
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Embedder> embedder_;
};

}  // namespace faceedge
