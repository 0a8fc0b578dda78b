#pragma once
// The shared body of the ArcFace-style embedders: aligned 112x112 BGR crops -> planar float
// with the family's normalisation -> ONNX Runtime -> one L2-normalised row per face. A family
// is this class plus its facts (tensor names, pixel normalisation, session entries).
#include <string>
#include <vector>

#include "faceedge/embedder.h"
#include "faceedge/runtime.h"
#include "ort/session.h"
#include "vision/letterbox.h"

namespace faceedge {

struct CropEmbedderSpec {
  std::string input;   // graph input, [N,3,112,112] float32 (N fixed to 1 or dynamic)
  std::string output;  // graph output, [N,dim] float32, not yet normalised
  PixelNormalization normalization;
};

class CropEmbedder : public Embedder {
 public:
  CropEmbedder(const std::string& model_path, const SessionSettings& settings,
               const CropEmbedderSpec& spec);

  int dim() const override { return dim_; }
  void embed(const std::vector<AlignedFace>& faces, float* out) const override;
  std::vector<std::string> providers() const override { return session_.providers(); }

 private:
  void run_batch(const AlignedFace* faces, size_t count, float* out) const;

  ort::Session session_;
  CropEmbedderSpec spec_;
  int dim_ = 0;
  size_t max_batch_ = 1;  // 1 when the model's batch dimension is fixed
};

}  // namespace faceedge
