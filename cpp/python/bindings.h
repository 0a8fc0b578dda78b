#pragma once
// One registration function per bind_*.cpp file; module.cpp calls them in order.
#include <pybind11/pybind11.h>

namespace faceedge::python {

void bind_errors(pybind11::module_& m);   // errors.cpp: exception translator + error_codes()
void bind_runtime(pybind11::module_& m);  // bind_runtime.cpp: runtime_info, OrtSession, SIMD
void bind_vision(pybind11::module_& m);   // bind_vision.cpp: estimate_similarity, align_face
void bind_engine(pybind11::module_& m);   // bind_engine.cpp: Engine
void bind_gallery(pybind11::module_& m);  // bind_gallery.cpp: Gallery, set_simd_level, dot kernels
void bind_quality(pybind11::module_& m);  // bind_quality.cpp: face_quality
void bind_liveness(pybind11::module_& m); // bind_liveness.cpp: Liveness, liveness_crop(_rect)
void bind_attribute(pybind11::module_& m); // bind_attribute.cpp: Attribute (gender, emotion)
void bind_landmarks(pybind11::module_& m); // bind_landmarks.cpp: Landmarks (66 points)
void bind_tracker(pybind11::module_& m);  // bind_tracker.cpp: Tracker, SceneCutDetector, box_iou

}  // namespace faceedge::python
