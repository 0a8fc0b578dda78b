#pragma once
#include <string>

namespace faceedge {

// A model file the Python resolver has located and verified, with the manifest's family name
// (the stem of the implementing file under cpp/src/models/, e.g. "yunet_detector").
struct ModelSpec {
  std::string family;
  std::string path;
};

}  // namespace faceedge
