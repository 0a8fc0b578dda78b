// The in-memory gallery: rows in contiguous 64-byte-aligned storage, an id index, a user index,
// and a readers-writer lock. See faceedge/gallery.h for the contract.
//
// Layout. Row i of the fp32 store starts at i * stride floats, where stride is dim rounded up to
// 16 floats (64 bytes, one cache line, one zmm register) and the padding is kept zero. So every
// row starts on a cache line, no kernel load ever splits a line, and the kernels run with
// d = stride: no tail code in the hot loop, and the zero padding adds exactly nothing to a dot
// product (queries are padded with zeros too).
// The int8 store pads rows to 64 bytes too, and keeps them in tiles of 16 rows interleaved by
// groups of four dims (the tile16 layout of kernels/kernels.h): one aligned 64-byte load then
// feeds 16 dot products at once, with no horizontal sums. int8 mode keeps both stores: the int8
// one is scanned, the fp32 one is read only to re-rank the candidates (memory_bytes() counts both).
//
// Removal swaps the last row into the hole: O(1) per face, and the storage stays dense.
#include "faceedge/gallery.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "faceedge/error.h"
#include "search/dispatch.h"
#include "search/kernels/kernels.h"
#include "search/topk.h"

namespace faceedge {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr int kMaxDim = 65536;  // keeps int8 sums far from the int32 limit (131072)
constexpr size_t kMaxRows = std::numeric_limits<uint32_t>::max();
// Rows per block are chosen so a block of the gallery (~128 KiB) stays in L2 while every query of
// the batch is scored against it: the gallery is read from memory once per batch, not per query.
constexpr size_t kBlockBytes = size_t{128} << 10;
constexpr size_t kQueryChunk = 32;  // queries scored together; bounds the score buffer
constexpr size_t kMinCandidates = 64;
constexpr size_t kCandidatesPerUser = 8;

// The largest float below x: "s > just_below(x)" is "s >= x".
float just_below(float x) { return std::nextafter(x, -std::numeric_limits<float>::infinity()); }

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

// Fixed-size rows in one aligned allocation. Large stores ask for transparent huge pages: a 1M-row
// scan then walks ~250 pages instead of ~125k, so TLB misses stop costing bandwidth.
class RowStore {
 public:
  RowStore() = default;
  explicit RowStore(size_t row_bytes) : row_bytes_(row_bytes) {}
  ~RowStore() { std::free(data_); }
  RowStore(const RowStore&) = delete;
  RowStore& operator=(const RowStore&) = delete;

  // Room for `rows` rows, keeping the first `used`. On failure nothing changes (bad_alloc).
  void reserve(size_t rows, size_t used) {
    if (rows <= capacity_ || row_bytes_ == 0) return;
    const size_t bytes = rows * row_bytes_;
    const size_t align = bytes >= 8 * kHugePage ? kHugePage : kAlign;
    const size_t alloc = round_up(bytes, align);
    void* p = std::aligned_alloc(align, alloc);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == kHugePage) madvise(p, alloc, MADV_HUGEPAGE);
#endif
    if (used > 0) std::memcpy(p, data_, used * row_bytes_);
    std::free(data_);
    data_ = static_cast<uint8_t*>(p);
    capacity_ = rows;
    allocated_ = alloc;
  }
  void release() {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    allocated_ = 0;
  }
  uint8_t* row(size_t i) { return data_ + i * row_bytes_; }
  const uint8_t* row(size_t i) const { return data_ + i * row_bytes_; }
  size_t capacity() const { return capacity_; }
  size_t allocated_bytes() const { return allocated_; }

 private:
  uint8_t* data_ = nullptr;
  size_t row_bytes_ = 0;
  size_t capacity_ = 0;
  size_t allocated_ = 0;
};

// Per-vector symmetric quantisation: scale = max|x| / 127, q = round(x / scale) in [-127, 127].
// -128 is never produced. Returns the scale (0 for an all-zero vector).
float quantize(const float* x, size_t d, int8_t* out) {
  float amax = 0.f;
  for (size_t i = 0; i < d; ++i) amax = std::max(amax, std::fabs(x[i]));
  if (amax == 0.f) {
    std::memset(out, 0, d);
    return 0.f;
  }
  const float scale = amax / 127.f;
  const float inv = 127.f / amax;
  for (size_t i = 0; i < d; ++i) {
    // Round half away from zero; |x * inv| <= 127 up to rounding, clamped to be sure.
    const float v = std::min(127.f, std::max(-127.f, x[i] * inv));
    out[i] = static_cast<int8_t>(static_cast<int>(v + (v >= 0.f ? 0.5f : -0.5f)));
  }
  return scale;
}

float norm(const float* x, size_t d) {
  double s = 0.0;
  for (size_t i = 0; i < d; ++i) s += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(std::sqrt(s));
}

void check_finite(const float* v, size_t n, size_t d, const char* what) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < d; ++k) {
      if (!std::isfinite(v[i * d + k])) {
        throw Error(ErrorCode::kInvalidArgument, std::string(what) + " " + std::to_string(i) +
                                                     " has a non-finite value at index " +
                                                     std::to_string(k));
      }
    }
  }
}

}  // namespace

struct Gallery::Impl {
  Impl(int dim_, GalleryStorage storage_)
      : dim(static_cast<size_t>(dim_)),
        storage(storage_),
        stride_f32(round_up(dim, kAlign / sizeof(float))),
        stride_i8(round_up(dim, kAlign)),
        kernels(&kernels::active_kernel_table()),
        f32(stride_f32 * sizeof(float)),
        i8(storage_ == GalleryStorage::kInt8Rerank ? stride_i8 : 0),
        scratch(stride_i8) {}

  bool int8() const { return storage == GalleryStorage::kInt8Rerank; }
  const float* f32_row(size_t i) const { return reinterpret_cast<const float*>(f32.row(i)); }
  float* f32_row(size_t i) { return reinterpret_cast<float*>(f32.row(i)); }
  // Tile t holds rows 16t .. 16t+15; RowStore's row(16t) is where it starts.
  const int8_t* i8_tile_of(size_t row) const { return reinterpret_cast<const int8_t*>(i8.row(row)); }
  int8_t* i8_tiles() { return reinterpret_cast<int8_t*>(i8.row(0)); }
  const int8_t* i8_tiles() const { return reinterpret_cast<const int8_t*>(i8.row(0)); }

  void reserve(size_t rows);
  void undo_index(const GalleryEntry* entries, size_t ids_done, size_t users_done);
  void write_row(size_t row, const GalleryEntry& e, const float* v);
  void move_row(size_t from, size_t to);
  size_t memory_bytes() const;

  struct Filter {
    const std::vector<int32_t>* groups;
    bool group_ok(int32_t g) const {
      if (groups->empty()) return true;
      for (int32_t x : *groups) {
        if (x == g) return true;
      }
      return false;
    }
  };
  // Offers rows b0.. b0+n (scores s) to `top`: those scoring above both `floor` and the top's
  // bound, and passing the filter.
  template <typename Top>
  void consider(const float* s, size_t b0, size_t n, float floor, const Filter& f,
                Top& top) const {
    for (size_t j = next_above(s, 0, n, std::max(floor, top.bound())); j < n;
         j = next_above(s, j + 1, n, std::max(floor, top.bound()))) {
      const size_t row = b0 + j;
      if (f.group_ok(group_keys[row])) push(top, row, s[j]);
    }
  }
  void push(UserTopK& top, size_t row, float s) const {
    top.push(user_keys[row], static_cast<uint32_t>(row), s);
  }
  static void push(FaceTopK& top, size_t row, float s) { top.push(static_cast<uint32_t>(row), s); }
  void scan_f32(const float* q, size_t nq, size_t k, float min_cosine, const Filter& f,
                std::vector<UserTopK>& tops) const;
  void scan_i8(const float* q, size_t nq, size_t k, float min_cosine, const Filter& f,
               std::vector<UserTopK>& tops) const;
  template <typename Top>
  void scan_approx(const int8_t* qi8, const float* qscale, const float* floor, size_t nq,
                   const Filter& f, std::vector<Top>& tops) const;
  void user_only(const float* q, size_t nq, int64_t user_key, float min_cosine, const Filter& f,
                 std::vector<UserTopK>& tops) const;
  float dot(const float* q, size_t row) const {
    float s = 0.f;
    kernels->dot_many_f32(q, f32_row(row), 1, stride_f32, &s);
    return s;
  }
  size_t block_rows(size_t row_bytes) const {
    return std::max<size_t>(16, kBlockBytes / row_bytes / 16 * 16);
  }

  const size_t dim;
  const GalleryStorage storage;
  const size_t stride_f32;  // floats per stored row
  const size_t stride_i8;   // bytes per stored int8 row
  const kernels::KernelTable* kernels;

  mutable std::shared_mutex mutex;
  size_t size = 0;
  RowStore f32;
  RowStore i8;
  std::vector<float> scales;  // int8 mode: one per row
  std::vector<int8_t> scratch;  // one int8 row, for writers (who hold the lock): no allocation
  std::vector<int64_t> face_ids;
  std::vector<int64_t> user_keys;
  std::vector<int32_t> group_keys;
  std::unordered_map<int64_t, uint32_t> row_of_face;
  std::unordered_map<int64_t, std::vector<uint32_t>> rows_of_user;
  // Bounds for the int8 error (only ever rise; see scan_i8).
  float max_scale = 0.f;
  float max_norm = 0.f;
};

void Gallery::Impl::reserve(size_t rows) {
  if (rows <= f32.capacity()) return;
  const size_t grown = std::max({rows, f32.capacity() + f32.capacity() / 2, size_t{64}});
  f32.reserve(grown, size);
  if (int8()) {
    i8.reserve(round_up(grown, kernels::kTileRows), round_up(size, kernels::kTileRows));
    scales.reserve(grown);
  }
  face_ids.reserve(grown);
  user_keys.reserve(grown);
  group_keys.reserve(grown);
}

void Gallery::Impl::undo_index(const GalleryEntry* entries, size_t ids_done, size_t users_done) {
  for (size_t i = 0; i < ids_done; ++i) row_of_face.erase(entries[i].face_id);
  for (size_t i = 0; i < users_done; ++i) {
    auto it = rows_of_user.find(entries[i].user_key);
    if (it == rows_of_user.end()) continue;
    auto& rows = it->second;
    rows.erase(std::remove_if(rows.begin(), rows.end(), [&](uint32_t r) { return r >= size; }),
               rows.end());
    if (rows.empty()) rows_of_user.erase(it);
  }
}

void Gallery::Impl::write_row(size_t row, const GalleryEntry& e, const float* v) {
  float* dst = f32_row(row);
  std::memcpy(dst, v, dim * sizeof(float));
  std::fill(dst + dim, dst + stride_f32, 0.f);
  if (int8()) {
    const float scale = quantize(v, dim, scratch.data());
    std::fill(scratch.begin() + dim, scratch.end(), int8_t{0});
    // A new tile starts zeroed, so its not-yet-used rows hold defined (ignored) values.
    if (row % kernels::kTileRows == 0) std::memset(i8.row(row), 0, kernels::kTileRows * stride_i8);
    kernels::put_tile_row(i8_tiles(), row, stride_i8, scratch.data(), stride_i8);
    scales.push_back(scale);
    max_scale = std::max(max_scale, scale);
  }
  max_norm = std::max(max_norm, norm(v, dim));
  face_ids.push_back(e.face_id);
  user_keys.push_back(e.user_key);
  group_keys.push_back(e.group_key);
}

void Gallery::Impl::move_row(size_t from, size_t to) {
  std::memcpy(f32.row(to), f32.row(from), stride_f32 * sizeof(float));
  if (int8()) {
    kernels::get_tile_row(i8_tiles(), from, stride_i8, scratch.data());
    kernels::put_tile_row(i8_tiles(), to, stride_i8, scratch.data(), stride_i8);
    scales[to] = scales[from];
  }
  face_ids[to] = face_ids[from];
  user_keys[to] = user_keys[from];
  group_keys[to] = group_keys[from];
  row_of_face.find(face_ids[to])->second = static_cast<uint32_t>(to);
  for (uint32_t& r : rows_of_user.find(user_keys[to])->second) {
    if (r == from) {
      r = static_cast<uint32_t>(to);
      break;
    }
  }
}

size_t Gallery::Impl::memory_bytes() const {
  // Allocated capacity, not just what is in use, plus an estimate of the hash maps' nodes and
  // buckets as libstdc++ lays them out (node = next pointer + value, rounded by malloc).
  size_t bytes = sizeof(Impl) + f32.allocated_bytes() + i8.allocated_bytes();
  bytes += scales.capacity() * sizeof(float) + face_ids.capacity() * sizeof(int64_t) +
           user_keys.capacity() * sizeof(int64_t) + group_keys.capacity() * sizeof(int32_t);
  bytes += row_of_face.bucket_count() * sizeof(void*) + row_of_face.size() * 32;
  bytes += rows_of_user.bucket_count() * sizeof(void*) + rows_of_user.size() * 64;
  for (const auto& kv : rows_of_user) bytes += kv.second.capacity() * sizeof(uint32_t) + 16;
  return bytes;
}

// Exact: every row scored in fp32, block by block, all queries of the chunk per block.
void Gallery::Impl::scan_f32(const float* q, size_t nq, size_t k, float min_cosine,
                             const Filter& f, std::vector<UserTopK>& tops) const {
  (void)k;
  const size_t block = block_rows(stride_f32 * sizeof(float));
  std::vector<float> scores(nq * block);
  const float below_min = just_below(min_cosine);
  for (size_t b0 = 0; b0 < size; b0 += block) {
    const size_t nb = std::min(block, size - b0);
    kernels->dot_batch_f32(q, nq, f32_row(b0), nb, stride_f32, scores.data());
    for (size_t qi = 0; qi < nq; ++qi) {
      UserTopK& top = tops[qi];
      const float* s = scores.data() + qi * nb;
      consider(s, b0, nb, below_min, f, top);
    }
  }
}

// Compressed: score every row in int8, keep the best max(64, 8k) faces by that approximate score,
// then re-score every face of those faces' users exactly in fp32 and keep the best k users.
// If the best faces belong to fewer than k users (a few users with many faces crowd the list),
// those queries are scanned again keeping the best max(64, 8k) users instead (UserTopK).
//
// Threshold: an approximate score can sit below the exact one, so the int8 pass admits rows down
// to min_cosine - slack, where slack bounds the quantisation error: with q = q' + eq and
// r = r' + er (|eq_i| <= sq/2, |er_i| <= sr/2), |q.r - q'.r'| <= (|q| + Eq) Er + Eq |r| with
// Eq = sqrt(d) sq / 2, Er = sqrt(d) sr / 2. The exact pass then applies min_cosine itself.
void Gallery::Impl::scan_i8(const float* q, size_t nq, size_t k, float min_cosine,
                            const Filter& f, std::vector<UserTopK>& tops) const {
  const size_t candidates = std::max(kMinCandidates, kCandidatesPerUser * k);
  std::vector<int8_t> qi8(nq * stride_i8, 0);
  std::vector<float> qscale(nq), floor(nq);
  const float root_d = std::sqrt(static_cast<float>(dim));
  const float er = 0.5f * root_d * max_scale;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* qv = q + qi * stride_f32;
    qscale[qi] = quantize(qv, dim, qi8.data() + qi * stride_i8);
    const float eq = 0.5f * root_d * qscale[qi];
    const float slack = (norm(qv, dim) + eq) * er + eq * max_norm;
    floor[qi] = just_below(min_cosine - slack * 1.01f - 1e-5f);
  }
  std::vector<FaceTopK> faces(nq, FaceTopK(candidates));
  scan_approx(qi8.data(), qscale.data(), floor.data(), nq, f, faces);

  std::vector<std::vector<int64_t>> users(nq);
  std::vector<size_t> redo;
  for (size_t qi = 0; qi < nq; ++qi) {
    for (uint32_t row : faces[qi].rows()) users[qi].push_back(user_keys[row]);
    std::sort(users[qi].begin(), users[qi].end());
    users[qi].erase(std::unique(users[qi].begin(), users[qi].end()), users[qi].end());
    if (users[qi].size() < k && faces[qi].full()) redo.push_back(qi);
  }
  if (!redo.empty()) {
    std::vector<int8_t> rq(redo.size() * stride_i8);
    std::vector<float> rs(redo.size()), rf(redo.size());
    for (size_t i = 0; i < redo.size(); ++i) {
      std::memcpy(rq.data() + i * stride_i8, qi8.data() + redo[i] * stride_i8, stride_i8);
      rs[i] = qscale[redo[i]];
      rf[i] = floor[redo[i]];
    }
    std::vector<UserTopK> by_user(redo.size(), UserTopK(candidates));
    scan_approx(rq.data(), rs.data(), rf.data(), redo.size(), f, by_user);
    for (size_t i = 0; i < redo.size(); ++i) {
      users[redo[i]].clear();
      for (const ScoredRow& c : by_user[i].items()) users[redo[i]].push_back(c.user_key);
    }
  }

  for (size_t qi = 0; qi < nq; ++qi) {
    const float* qv = q + qi * stride_f32;
    for (int64_t user : users[qi]) {
      const auto it = rows_of_user.find(user);
      if (it == rows_of_user.end()) continue;
      for (uint32_t row : it->second) {
        if (!f.group_ok(group_keys[row])) continue;
        const float exact = dot(qv, row);
        if (exact >= min_cosine) tops[qi].push(user, row, exact);
      }
    }
  }
}

template <typename Top>
void Gallery::Impl::scan_approx(const int8_t* qi8, const float* qscale, const float* floor,
                                size_t nq, const Filter& f, std::vector<Top>& tops) const {
  const size_t block = block_rows(stride_i8);
  std::vector<int32_t> iscores(nq * block);
  std::vector<float> s(block);
  for (size_t b0 = 0; b0 < size; b0 += block) {
    const size_t nb = std::min(block, size - b0);
    const size_t ntiles = (nb + kernels::kTileRows - 1) / kernels::kTileRows;
    kernels->dot_tiles_i8(qi8, nq, i8_tile_of(b0), ntiles, stride_i8, iscores.data());
    const float* row_scale = scales.data() + b0;
    for (size_t qi = 0; qi < nq; ++qi) {
      const int32_t* is = iscores.data() + qi * ntiles * kernels::kTileRows;
      const float qs = qscale[qi];
      for (size_t j = 0; j < nb; ++j) s[j] = static_cast<float>(is[j]) * (qs * row_scale[j]);
      consider(s.data(), b0, nb, floor[qi], f, tops[qi]);
    }
  }
}

// One user's faces only (Baidu's 1:N with user_id): read through the user index, exact.
void Gallery::Impl::user_only(const float* q, size_t nq, int64_t user_key, float min_cosine,
                              const Filter& f, std::vector<UserTopK>& tops) const {
  const auto it = rows_of_user.find(user_key);
  if (it == rows_of_user.end()) return;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* qv = q + qi * stride_f32;
    for (uint32_t row : it->second) {
      if (!f.group_ok(group_keys[row])) continue;
      const float s = dot(qv, row);
      if (s >= min_cosine) tops[qi].push(user_key, row, s);
    }
  }
}

Gallery::Gallery(int dim, GalleryStorage storage) {
  if (dim < 1 || dim > kMaxDim) {
    throw Error(ErrorCode::kInvalidArgument, "gallery dim must be in [1, " +
                                                 std::to_string(kMaxDim) + "], got " +
                                                 std::to_string(dim));
  }
  if (storage != GalleryStorage::kFloat32 && storage != GalleryStorage::kInt8Rerank) {
    throw Error(ErrorCode::kInvalidArgument,
                "unknown gallery storage " + std::to_string(static_cast<int>(storage)));
  }
  impl_ = std::make_unique<Impl>(dim, storage);
}

Gallery::~Gallery() = default;

int Gallery::dim() const { return static_cast<int>(impl_->dim); }
GalleryStorage Gallery::storage() const { return impl_->storage; }
SimdLevel Gallery::simd_level() const { return impl_->kernels->level; }

size_t Gallery::size() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->size;
}

size_t Gallery::memory_bytes() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->memory_bytes();
}

void Gallery::add(const GalleryEntry* entries, const float* vectors, size_t n) {
  if (n == 0) return;
  Impl& g = *impl_;
  const size_t d = g.dim;
  check_finite(vectors, n, d, "vector");
  for (size_t i = 0; i < n; ++i) {
    if (entries[i].user_key < 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  "user_key must be >= 0 (face_id " + std::to_string(entries[i].face_id) +
                      " has " + std::to_string(entries[i].user_key) + ")");
    }
  }
  std::unique_lock lock(g.mutex);
  if (n > kMaxRows - g.size) {
    throw Error(ErrorCode::kInvalidArgument, "gallery would exceed " + std::to_string(kMaxRows) + " faces");
  }
  g.reserve(g.size + n);  // may throw bad_alloc; changes no content
  size_t ids_done = 0, users_done = 0;
  try {
    g.row_of_face.reserve(g.size + n);
    for (; ids_done < n; ++ids_done) {
      const int64_t id = entries[ids_done].face_id;
      const auto [it, fresh] = g.row_of_face.emplace(id, static_cast<uint32_t>(g.size + ids_done));
      if (!fresh) {
        const bool in_batch = it->second >= g.size;
        throw Error(ErrorCode::kInvalidArgument,
                    "face_id " + std::to_string(id) +
                        (in_batch ? " appears twice in one add" : " is already in the gallery") +
                        "; nothing was added");
      }
    }
    for (; users_done < n; ++users_done) {
      g.rows_of_user[entries[users_done].user_key].push_back(
          static_cast<uint32_t>(g.size + users_done));
    }
  } catch (...) {
    g.undo_index(entries, ids_done, users_done);
    throw;
  }
  // Storage and metadata capacity are reserved: nothing below allocates or throws.
  for (size_t i = 0; i < n; ++i) g.write_row(g.size + i, entries[i], vectors + i * d);
  g.size += n;
}

size_t Gallery::remove(const int64_t* face_ids, size_t n) {
  Impl& g = *impl_;
  std::unique_lock lock(g.mutex);
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto it = g.row_of_face.find(face_ids[i]);
    if (it == g.row_of_face.end()) continue;
    const size_t row = it->second;
    const size_t last = g.size - 1;
    g.row_of_face.erase(it);
    const auto user = g.rows_of_user.find(g.user_keys[row]);
    if (user != g.rows_of_user.end()) {
      auto& rows = user->second;
      const auto pos = std::find(rows.begin(), rows.end(), static_cast<uint32_t>(row));
      if (pos != rows.end()) {
        *pos = rows.back();
        rows.pop_back();
      }
      if (rows.empty()) g.rows_of_user.erase(user);
    }
    if (row != last) g.move_row(last, row);
    if (g.int8()) g.scales.pop_back();
    g.face_ids.pop_back();
    g.user_keys.pop_back();
    g.group_keys.pop_back();
    g.size = last;
    ++removed;
  }
  return removed;
}

void Gallery::clear() {
  Impl& g = *impl_;
  std::unique_lock lock(g.mutex);
  g.size = 0;
  g.f32.release();
  g.i8.release();
  for (auto* v : {&g.face_ids, &g.user_keys}) std::vector<int64_t>().swap(*v);
  std::vector<int32_t>().swap(g.group_keys);
  std::vector<float>().swap(g.scales);
  std::unordered_map<int64_t, uint32_t>().swap(g.row_of_face);
  std::unordered_map<int64_t, std::vector<uint32_t>>().swap(g.rows_of_user);
  g.max_scale = 0.f;
  g.max_norm = 0.f;
}

std::vector<std::vector<UserHit>> Gallery::search(const float* queries, size_t n,
                                                  const SearchQuery& query) const {
  const Impl& g = *impl_;
  if (query.max_users < 1) {
    throw Error(ErrorCode::kInvalidArgument,
                "max_users must be >= 1, got " + std::to_string(query.max_users));
  }
  if (std::isnan(query.min_cosine)) {
    throw Error(ErrorCode::kInvalidArgument, "min_cosine is NaN");
  }
  check_finite(queries, n, g.dim, "query");
  std::vector<std::vector<UserHit>> results(n);
  if (n == 0) return results;

  // Queries padded with zeros to the row stride, like the rows.
  std::vector<float> padded(n * g.stride_f32, 0.f);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(padded.data() + i * g.stride_f32, queries + i * g.dim, g.dim * sizeof(float));
  }
  const Impl::Filter filter{&query.group_keys};

  std::shared_lock lock(g.mutex);
  if (g.size == 0) return results;
  const size_t k = std::min(static_cast<size_t>(query.max_users), g.size);
  for (size_t q0 = 0; q0 < n; q0 += kQueryChunk) {
    const size_t nq = std::min(kQueryChunk, n - q0);
    const float* q = padded.data() + q0 * g.stride_f32;
    std::vector<UserTopK> tops(nq, UserTopK(k));
    if (query.user_key >= 0) {
      g.user_only(q, nq, query.user_key, query.min_cosine, filter, tops);
    } else if (g.int8()) {
      g.scan_i8(q, nq, k, query.min_cosine, filter, tops);
    } else {
      g.scan_f32(q, nq, k, query.min_cosine, filter, tops);
    }
    for (size_t qi = 0; qi < nq; ++qi) {
      std::vector<UserHit>& out = results[q0 + qi];
      for (const ScoredRow& r : tops[qi].sorted()) {
        out.push_back({r.user_key, g.face_ids[r.row], g.group_keys[r.row], r.score});
      }
    }
  }
  return results;
}

}  // namespace faceedge
