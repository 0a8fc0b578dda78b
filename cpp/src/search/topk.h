#pragma once
// Top-k by user over a stream of scored rows: a user's score is the best of its faces.
//
// Exact in one pass. Rows that beat the bound are appended to a reservoir (as faiss does for
// faces); when it fills, it is compacted: one row per user (its best), then the best k users, and
// the bound rises to the k-th user's score. A user cut then had no face above the bound, and the
// bound never falls, so any later face that brings the user back is its best so far: nothing is
// lost. This avoids "collect the top faces and dedupe", which needs an unknown number of faces
// (one user with 20 faces can fill the top 20), and costs O(1) amortised a push for any k.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace faceedge {

struct ScoredRow {
  int64_t user_key = 0;
  uint32_t row = 0;
  float score = 0.f;
};

// The first j in [from, n) with s[j] > bound, or n. Most blocks hold no such score once the top
// is full, so this skips 16 scores per compare (SSE2 on x86-64 and NEON on aarch64 are baseline:
// no dispatch needed).
size_t next_above(const float* s, size_t from, size_t n, float bound);

class UserTopK {
 public:
  explicit UserTopK(size_t k) : capacity_(k), limit_(std::max<size_t>(2 * k, 32)) {}

  // A row needs a score strictly above this to change the result.
  float bound() const { return bound_; }
  void push(int64_t user_key, uint32_t row, float score) {
    if (capacity_ == 0 || !(score > bound_)) return;
    if (items_.empty()) items_.reserve(limit_);
    items_.push_back({user_key, row, score});
    if (items_.size() >= limit_) compact();
  }
  // At most k distinct users, each with its best row, in no order.
  const std::vector<ScoredRow>& items() {
    compact();
    return items_;
  }
  // Best first; equal scores by user_key, so results do not depend on row order.
  std::vector<ScoredRow> sorted();

 private:
  void compact();

  size_t capacity_;
  size_t limit_;
  std::vector<ScoredRow> items_;
  float bound_ = -std::numeric_limits<float>::infinity();
};

// The best k rows by score, users not merged (the int8 candidate pass; the caller merges users).
// A reservoir, as in faiss: rows above the bound are appended, and when 2k have piled up the best
// k are kept (nth_element) and the bound rises to the k-th score. O(1) amortised a push, which
// matters there: with k = 64 a random stream pushes several hundred rows per query. Entries are
// one uint64 (order-preserving score bits, row) so the selection moves 8 bytes, not a struct.
class FaceTopK {
 public:
  explicit FaceTopK(size_t k) : capacity_(k) { keys_.reserve(2 * k); }

  float bound() const { return bound_; }
  void push(uint32_t row, float score) {
    if (capacity_ == 0 || !(score > bound_)) return;
    keys_.push_back(uint64_t{sortable(score)} << 32 | row);
    if (keys_.size() == 2 * capacity_) shrink();
  }
  // The rows of the best min(k, pushed), in no order; true from full() if k were kept.
  bool full() { shrink(); return keys_.size() == capacity_; }
  std::vector<uint32_t> rows() {
    shrink();
    std::vector<uint32_t> out;
    for (uint64_t key : keys_) out.push_back(static_cast<uint32_t>(key));
    return out;
  }

 private:
  // float -> uint32 with the same order (negative floats flipped whole, positive ones signed).
  static uint32_t sortable(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  }
  static float unsortable(uint32_t u) {
    u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
  }
  void shrink();

  size_t capacity_;
  std::vector<uint64_t> keys_;
  float bound_ = -std::numeric_limits<float>::infinity();
};

}  // namespace faceedge
