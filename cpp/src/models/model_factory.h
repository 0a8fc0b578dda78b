#pragma once
// From a manifest family name to the class that runs it. One line per family in the .cpp.
#include <memory>

#include "faceedge/attribute_model.h"
#include "faceedge/detector.h"
#include "faceedge/embedder.h"
#include "faceedge/landmark_model.h"
#include "faceedge/liveness_model.h"
#include "faceedge/model_spec.h"
#include "faceedge/runtime.h"

namespace faceedge {

// Error(kModelInvalid) naming the family and the known ones when the family is unknown.
std::unique_ptr<Detector> make_detector(const ModelSpec& spec, const SessionSettings& settings);
std::unique_ptr<Embedder> make_embedder(const ModelSpec& spec, const SessionSettings& settings);
// A liveness member also takes the crop scale it was trained with.
std::unique_ptr<LivenessModel> make_liveness_model(const ModelSpec& spec,
                                                   const SessionSettings& settings,
                                                   float crop_scale);
// An attribute model also takes its crop margin (a fraction of the box added on each side).
std::unique_ptr<AttributeModel> make_attribute_model(const ModelSpec& spec,
                                                     const SessionSettings& settings,
                                                     float margin);
std::unique_ptr<LandmarkModel> make_landmark_model(const ModelSpec& spec,
                                                   const SessionSettings& settings);

}  // namespace faceedge
