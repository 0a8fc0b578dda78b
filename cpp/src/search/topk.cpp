#include "search/topk.h"

#include <algorithm>
#include <functional>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace faceedge {

size_t next_above(const float* s, size_t from, size_t n, float bound) {
  size_t j = from;
#if defined(__SSE2__)
  const __m128 b = _mm_set1_ps(bound);
  for (; j + 16 <= n; j += 16) {
    const __m128 m = _mm_max_ps(_mm_max_ps(_mm_loadu_ps(s + j), _mm_loadu_ps(s + j + 4)),
                                _mm_max_ps(_mm_loadu_ps(s + j + 8), _mm_loadu_ps(s + j + 12)));
    if (_mm_movemask_ps(_mm_cmpgt_ps(m, b)) != 0) break;
  }
#elif defined(__aarch64__)
  for (; j + 16 <= n; j += 16) {
    const float32x4_t m = vmaxq_f32(vmaxq_f32(vld1q_f32(s + j), vld1q_f32(s + j + 4)),
                                    vmaxq_f32(vld1q_f32(s + j + 8), vld1q_f32(s + j + 12)));
    if (vmaxvq_f32(m) > bound) break;
  }
#endif
  for (; j < n; ++j) {
    if (s[j] > bound) return j;
  }
  return n;
}

namespace {

bool better(const ScoredRow& a, const ScoredRow& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.user_key < b.user_key;
}

}  // namespace

void UserTopK::compact() {
  if (items_.empty()) return;
  std::sort(items_.begin(), items_.end(), [](const ScoredRow& a, const ScoredRow& b) {
    if (a.user_key != b.user_key) return a.user_key < b.user_key;
    if (a.score != b.score) return a.score > b.score;
    return a.row < b.row;
  });
  items_.erase(std::unique(items_.begin(), items_.end(),
                           [](const ScoredRow& a, const ScoredRow& b) { return a.user_key == b.user_key; }),
               items_.end());
  if (items_.size() > capacity_) {
    std::nth_element(items_.begin(), items_.begin() + (capacity_ - 1), items_.end(), better);
    items_.resize(capacity_);
    bound_ = items_[capacity_ - 1].score;
  } else if (items_.size() == capacity_) {
    bound_ = std::min_element(items_.begin(), items_.end(), [](const ScoredRow& a, const ScoredRow& b) {
               return a.score < b.score;
             })->score;
  }
}

std::vector<ScoredRow> UserTopK::sorted() {
  compact();
  std::vector<ScoredRow> out = items_;
  std::sort(out.begin(), out.end(), better);
  return out;
}

void FaceTopK::shrink() {
  if (keys_.size() < capacity_ || capacity_ == 0) return;
  std::nth_element(keys_.begin(), keys_.begin() + (capacity_ - 1), keys_.end(), std::greater<uint64_t>());
  keys_.resize(capacity_);
  // Rows with the same score as the k-th may have been cut; a later equal score is refused too.
  bound_ = unsortable(static_cast<uint32_t>(keys_[capacity_ - 1] >> 32));
}


}  // namespace faceedge
