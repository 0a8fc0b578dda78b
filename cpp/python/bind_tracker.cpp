// Tracker and SceneCutDetector (cpp/src/tracking/): numpy arrays in and out, the work done
// with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/error.h"
#include "faceedge/scene_cut.h"
#include "faceedge/tracker.h"
#include "vision/nms.h"  // box_iou

namespace faceedge::python {
namespace {

using IdArray = py::array_t<int64_t>;

IdArray ids(const std::vector<int64_t>& v) {
  IdArray out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// boxes (n,4), scores (n,), landmarks (n,5,2) -> faces; shapes checked with the GIL held.
std::vector<Face> faces_from_arrays(const FloatArray& boxes, const FloatArray& scores,
                                    const FloatArray& landmarks) {
  const std::vector<Box> b = boxes_from_array(boxes);
  const py::ssize_t n = static_cast<py::ssize_t>(b.size());
  if (scores.ndim() != 1 || scores.shape(0) != n) {
    throw Error(ErrorCode::kInvalidArgument,
                "scores must have shape (" + std::to_string(n) + ",), got " + shape_of(scores));
  }
  if (landmarks.ndim() != 3 || landmarks.shape(0) != n || landmarks.shape(1) != 5 ||
      landmarks.shape(2) != 2) {
    throw Error(ErrorCode::kInvalidArgument, "landmarks must have shape (" + std::to_string(n) +
                                                 ", 5, 2), got " + shape_of(landmarks));
  }
  const auto s = scores.unchecked<1>();
  const auto l = landmarks.unchecked<3>();
  std::vector<Face> faces(b.size());
  for (py::ssize_t i = 0; i < n; ++i) {
    Face& f = faces[static_cast<size_t>(i)];
    f.box = b[static_cast<size_t>(i)];
    f.score = s(i);
    for (py::ssize_t k = 0; k < 5; ++k) {
      f.landmarks[static_cast<size_t>(k)] = {l(i, k, 0), l(i, k, 1)};
    }
  }
  return faces;
}

py::dict update(Tracker& tracker, const FloatArray& boxes, const FloatArray& scores,
                const FloatArray& landmarks, std::optional<std::vector<bool>> covered) {
  const std::vector<Face> faces = faces_from_arrays(boxes, scores, landmarks);
  const std::vector<bool> flags = covered ? *covered : std::vector<bool>{};
  TrackerStep step;
  {
    py::gil_scoped_release release;
    step = tracker.update(faces, flags);
  }
  py::dict out;
  out["detection_track"] = ids(step.detection_track);
  out["confirmed"] = ids(step.confirmed);
  out["ended"] = ids(step.ended);
  out["dropped"] = ids(step.dropped);
  return out;
}

py::dict tracks(const Tracker& tracker) {
  const std::vector<Track>& all = tracker.tracks();
  const py::ssize_t n = static_cast<py::ssize_t>(all.size());
  IdArray id(n);
  py::array_t<float> box({n, py::ssize_t{4}}), lm({n, py::ssize_t{5}, py::ssize_t{2}});
  py::array_t<float> score(n), velocity({n, py::ssize_t{4}});
  py::array_t<int32_t> age(n), hits(n), missed(n);
  py::array_t<bool> confirmed(n);
  auto b = box.mutable_unchecked<2>();
  auto l = lm.mutable_unchecked<3>();
  auto v = velocity.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < n; ++i) {
    const Track& t = all[static_cast<size_t>(i)];
    id.mutable_data()[i] = t.id;
    b(i, 0) = t.box.x, b(i, 1) = t.box.y, b(i, 2) = t.box.width, b(i, 3) = t.box.height;
    for (py::ssize_t k = 0; k < 5; ++k) {
      l(i, k, 0) = t.landmarks[static_cast<size_t>(k)].x;
      l(i, k, 1) = t.landmarks[static_cast<size_t>(k)].y;
    }
    v(i, 0) = t.vx, v(i, 1) = t.vy, v(i, 2) = t.vw, v(i, 3) = t.vh;
    score.mutable_data()[i] = t.score;
    age.mutable_data()[i] = t.age;
    hits.mutable_data()[i] = t.hits;
    missed.mutable_data()[i] = t.missed;
    confirmed.mutable_data()[i] = t.confirmed;
  }
  py::dict out;
  out["ids"] = id, out["boxes"] = box, out["landmarks"] = lm, out["scores"] = score;
  out["velocity"] = velocity, out["age"] = age, out["hits"] = hits, out["missed"] = missed;
  out["confirmed"] = confirmed;
  return out;
}

Tracker make_tracker(float min_iou, float max_size_change, float max_landmark_shift,
                     int max_missed, int min_hits, float velocity_gain, float duplicate_iou) {
  TrackerSettings s;
  s.min_iou = min_iou;
  s.max_size_change = max_size_change;
  s.max_landmark_shift = max_landmark_shift;
  s.max_missed = max_missed;
  s.min_hits = min_hits;
  s.velocity_gain = velocity_gain;
  s.duplicate_iou = duplicate_iou;
  return Tracker(s);
}

bool observe(SceneCutDetector& detector, const py::array& frame) {
  const ImageView view = image_view(frame);
  py::gil_scoped_release release;
  return detector.observe(view);
}

}  // namespace

void bind_tracker(py::module_& m) {
  const TrackerSettings d;
  py::class_<Tracker>(m, "Tracker")
      .def(py::init(&make_tracker), py::arg("min_iou") = d.min_iou,
           py::arg("max_size_change") = d.max_size_change,
           py::arg("max_landmark_shift") = d.max_landmark_shift,
           py::arg("max_missed") = d.max_missed, py::arg("min_hits") = d.min_hits,
           py::arg("velocity_gain") = d.velocity_gain, py::arg("duplicate_iou") = d.duplicate_iou)
      .def("predict", &Tracker::predict, py::call_guard<py::gil_scoped_release>(),
           "Move every track one frame along its velocity (once per frame, before update).")
      .def("update", &update, py::arg("boxes"), py::arg("scores"), py::arg("landmarks"),
           py::arg("covered") = py::none(),
           "Associate the frame's detections with the tracks -> {detection_track int64 (n,), "
           "confirmed, ended, dropped int64 arrays of track ids}.")
      .def("end_all", &Tracker::end_all, py::call_guard<py::gil_scoped_release>())
      .def("end_track", &Tracker::end_track, py::arg("track_id"),
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("tracks", &tracks)
      .def("__len__", [](const Tracker& t) { return t.tracks().size(); });
  m.def("box_iou", [](const FloatArray& a, const FloatArray& b) {
    const std::vector<Box> x = boxes_from_array(a), y = boxes_from_array(b);
    py::array_t<float> out({static_cast<py::ssize_t>(x.size()), static_cast<py::ssize_t>(y.size())});
    auto o = out.mutable_unchecked<2>();
    for (size_t i = 0; i < x.size(); ++i)
      for (size_t j = 0; j < y.size(); ++j) o(i, j) = box_iou(x[i], y[j]);
    return out;
  }, py::arg("a"), py::arg("b"), "(n,4) x (m,4) [x,y,w,h] -> (n,m) IoU.");
  py::class_<SceneCutDetector>(m, "SceneCutDetector")
      .def(py::init<float>(), py::arg("threshold") = 0.1f)
      .def("observe", &observe, py::arg("frame"),
           "True when this BGR frame starts a new shot (never for the first frame).")
      .def_property_readonly("last_distance", &SceneCutDetector::last_distance)
      .def_property_readonly("threshold", &SceneCutDetector::threshold)
      .def("reset", &SceneCutDetector::reset);
}

}  // namespace faceedge::python
