#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace faceedge {

// A borrowed 8-bit BGR image, rows `stride` bytes apart (OpenCV's and numpy's HxWx3 layout).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::ptrdiff_t stride = 0;  // bytes between row starts
};

struct Point {
  float x = 0.f;
  float y = 0.f;
};

struct Box {
  float x = 0.f;  // left
  float y = 0.f;  // top
  float width = 0.f;
  float height = 0.f;
  float area() const { return width > 0.f && height > 0.f ? width * height : 0.f; }
};

// YuNet / ArcFace order, subject's own sides: right eye, left eye, nose tip, right mouth corner,
// left mouth corner. On a frontal photo point 0 is the eye on the image's left.
using Landmarks5 = std::array<Point, 5>;

// Head pose in degrees, estimated from the 5 landmarks (see vision/head_pose.cpp).
struct Angle {
  float yaw = 0.f;    // + when the face turns towards the image's right
  float pitch = 0.f;  // - when the face tilts up, + down (Baidu's convention)
  float roll = 0.f;   // + clockwise in the image
};

struct Face {
  Box box;
  float score = 0.f;
  Landmarks5 landmarks{};
  Angle angle;
};

enum class FaceSort : int { kLargestFirst = 0, kNearestCentreFirst = 1 };

struct DetectOptions {
  int max_face_num = 1;           // 1..120, Baidu's limit
  FaceSort sort = FaceSort::kLargestFirst;
  float min_face_size = 0.f;      // faces whose shorter box side is below this are dropped
  // YuNet confidence. Every labelled face in shared/testdata scores >= 0.90 and the false
  // detections seen there (biden_2: 0.60, 0.71) stay below 0.8; OpenCV uses 0.9, its zoo 0.6.
  float score_threshold = 0.8f;
  float nms_iou = 0.3f;
};

// An owned 112x112 BGR face crop produced by alignment.
struct AlignedFace {
  static constexpr int kSize = 112;
  std::vector<uint8_t> bgr;  // kSize * kSize * 3, tightly packed
};

}  // namespace faceedge
