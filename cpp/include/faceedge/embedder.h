#pragma once
#include <string>
#include <vector>

#include "faceedge/types.h"

namespace faceedge {

// A face embedder: aligned 112x112 BGR crops in, one L2-normalised vector per crop out.
class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual int dim() const = 0;
  // Writes faces.size() * dim() floats to `out`, row by row.
  virtual void embed(const std::vector<AlignedFace>& faces, float* out) const = 0;
  virtual std::vector<std::string> providers() const = 0;
};

}  // namespace faceedge
