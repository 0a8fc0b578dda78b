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
// feeds 16 dot products at once, with no horizontal sums. int8 mode keeps no fp32 copy: the few
// candidates it re-ranks are read from its VectorSource (the library's file), so a face costs its
// d bytes of codes plus its ids, where an fp32 copy would cost 4d more.
//
// Indexes: face id -> row and user key -> the user's first row are open-addressing IdMaps; a
// user's rows are chained through next_of_user (one uint32 a row), so a face costs ~60-80 bytes
// of ids and index, not the ~150 of node-based maps.
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
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "faceedge/error.h"
#include "search/dispatch.h"
#include "search/id_map.h"
#include "search/kernels/kernels.h"
#include "search/row_ranges.h"
#include "search/topk.h"

namespace faceedge {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr int kMaxDim = 65536;  // keeps int8 sums far from the int32 limit (131072)
constexpr size_t kMaxRows = std::numeric_limits<uint32_t>::max();
// Rows per block are chosen so a block of the gallery (~128 KiB) stays in L2 while every query of
// the batch is scored against it: the gallery is read from memory once per batch, not per query.
// A single query reuses nothing, so it takes longer blocks (fewer kernel calls and top-k passes
// breaking the stream); its scores (8 KiB at d = 128) still sit in L1.
constexpr size_t kBlockBytes = size_t{128} << 10;
constexpr size_t kSingleQueryBlockBytes = size_t{1} << 20;
constexpr size_t kQueryChunk = 32;  // queries scored together; bounds the score buffer
constexpr size_t kMinCandidates = 64;
constexpr size_t kCandidatesPerUser = 8;
constexpr uint32_t kNoRow = IdMap::kNone;

// The largest float below x: "s > just_below(x)" is "s >= x".
// Threads a large scan is split over unless set_search_threads says otherwise: memory bandwidth
// stops growing after a few cores, and a board's little cores would only slow the last range.
size_t default_search_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return std::max<size_t>(1, std::min<size_t>(hw, 4));
}

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
  Impl(int dim_, GalleryStorage storage_, std::shared_ptr<const VectorSource> source_)
      : dim(static_cast<size_t>(dim_)),
        storage(storage_),
        stride_f32(round_up(dim, kAlign / sizeof(float))),
        stride_i8(round_up(dim, kAlign)),
        kernels(&kernels::active_kernel_table()),
        source(storage_ == GalleryStorage::kInt8Rerank ? std::move(source_) : nullptr),
        f32(storage_ == GalleryStorage::kFloat32 ? stride_f32 * sizeof(float) : 0),
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
  void write_row(size_t row, const GalleryEntry& e, const float* v);
  void unlink_user_row(size_t row);
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
  // Rows [begin, end) only: a split scan gives each thread its own range and tops.
  void scan_f32(const float* q, size_t nq, float min_cosine, const Filter& f, size_t begin,
                size_t end, std::vector<UserTopK>& tops) const;
  // All rows, on up to search_threads threads (row_ranges.h), merged into `tops`.
  void scan_f32_split(const float* q, size_t nq, size_t k, float min_cosine, const Filter& f,
                      std::vector<UserTopK>& tops) const;
  void scan_i8(const float* q, size_t nq, size_t k, float min_cosine, const Filter& f,
               std::vector<UserTopK>& tops) const;
  template <typename Top>
  void scan_approx(const int8_t* qi8, const float* qscale, const float* floor, size_t nq,
                   const Filter& f, std::vector<Top>& tops) const;
  void user_only(const float* q, size_t nq, int64_t user_key, float min_cosine, const Filter& f,
                 std::vector<UserTopK>& tops) const;
  // The rows of one user that pass the filter.
  std::vector<uint32_t> rows_of(int64_t user_key, const Filter& f) const {
    std::vector<uint32_t> rows;
    for (uint32_t r = user_head.find(user_key); r != kNoRow; r = next_of_user[r]) {
      if (f.group_ok(group_keys[r])) rows.push_back(r);
    }
    return rows;
  }
  // Exact scores of `rows` for each query; a row the source no longer holds scores NaN.
  std::vector<float> exact(const float* q, size_t nq, const std::vector<uint32_t>& rows) const;
  size_t block_rows(size_t row_bytes, size_t nq) const {
    const size_t bytes = nq == 1 ? kSingleQueryBlockBytes : kBlockBytes;
    return std::max<size_t>(16, bytes / row_bytes / 16 * 16);
  }

  const size_t dim;
  const GalleryStorage storage;
  const size_t stride_f32;  // floats per stored row
  const size_t stride_i8;   // bytes per stored int8 row
  const kernels::KernelTable* kernels;
  const std::shared_ptr<const VectorSource> source;  // int8 mode: the exact vectors

  mutable std::shared_mutex mutex;
  size_t search_threads = default_search_threads();
  size_t size = 0;
  RowStore f32;  // float32 mode only
  RowStore i8;   // int8 mode only
  std::vector<float> scales;  // int8 mode: one per row
  std::vector<int8_t> scratch;  // one int8 row, for writers (who hold the lock): no allocation
  std::vector<int64_t> face_ids;
  std::vector<int64_t> user_keys;
  std::vector<int32_t> group_keys;
  std::vector<uint32_t> next_of_user;  // the user's next row, kNoRow at the end of the chain
  IdMap row_of_face;
  IdMap user_head;  // user key -> the user's first row
  // Bounds for the int8 error (only ever rise; see scan_i8).
  float max_scale = 0.f;
  float max_norm = 0.f;
};

void Gallery::Impl::reserve(size_t rows) {
  if (rows <= face_ids.capacity()) {
    row_of_face.reserve(rows);
    user_head.reserve(rows);
    return;
  }
  const size_t grown = std::max({rows, face_ids.capacity() + face_ids.capacity() / 2, size_t{64}});
  if (int8()) {
    i8.reserve(round_up(grown, kernels::kTileRows), round_up(size, kernels::kTileRows));
    scales.reserve(grown);
  } else {
    f32.reserve(grown, size);
  }
  face_ids.reserve(grown);
  user_keys.reserve(grown);
  group_keys.reserve(grown);
  next_of_user.reserve(grown);
  row_of_face.reserve(rows);
  user_head.reserve(rows);
}

void Gallery::Impl::write_row(size_t row, const GalleryEntry& e, const float* v) {
  if (int8()) {
    const float scale = quantize(v, dim, scratch.data());
    std::fill(scratch.begin() + dim, scratch.end(), int8_t{0});
    // A new tile starts zeroed, so its not-yet-used rows hold defined (ignored) values.
    if (row % kernels::kTileRows == 0) std::memset(i8.row(row), 0, kernels::kTileRows * stride_i8);
    kernels::put_tile_row(i8_tiles(), row, stride_i8, scratch.data(), stride_i8);
    scales.push_back(scale);
    max_scale = std::max(max_scale, scale);
  } else {
    float* dst = f32_row(row);
    std::memcpy(dst, v, dim * sizeof(float));
    std::fill(dst + dim, dst + stride_f32, 0.f);
  }
  max_norm = std::max(max_norm, norm(v, dim));
  face_ids.push_back(e.face_id);
  user_keys.push_back(e.user_key);
  group_keys.push_back(e.group_key);
  // Prepend to the user's chain (user_head was reserved: no allocation).
  const uint32_t r = static_cast<uint32_t>(row);
  const uint32_t head = user_head.insert(e.user_key, r);
  next_of_user.push_back(head);
  if (head != kNoRow) user_head.set(e.user_key, r);
}

// Takes `row` out of its user's chain (the user leaves the index with its last row).
void Gallery::Impl::unlink_user_row(size_t row) {
  const int64_t user = user_keys[row];
  const uint32_t r = static_cast<uint32_t>(row);
  const uint32_t head = user_head.find(user);
  if (head == r) {
    if (next_of_user[r] == kNoRow) {
      user_head.erase(user);
    } else {
      user_head.set(user, next_of_user[r]);
    }
    return;
  }
  for (uint32_t p = head; p != kNoRow; p = next_of_user[p]) {
    if (next_of_user[p] == r) {
      next_of_user[p] = next_of_user[r];
      return;
    }
  }
}

// Row `from` (the last) moves into the hole at `to`, which is already out of every index.
void Gallery::Impl::move_row(size_t from, size_t to) {
  if (int8()) {
    kernels::get_tile_row(i8_tiles(), from, stride_i8, scratch.data());
    kernels::put_tile_row(i8_tiles(), to, stride_i8, scratch.data(), stride_i8);
    scales[to] = scales[from];
  } else {
    std::memcpy(f32.row(to), f32.row(from), stride_f32 * sizeof(float));
  }
  const int64_t user = user_keys[from];
  const uint32_t f = static_cast<uint32_t>(from), t = static_cast<uint32_t>(to);
  // Whoever pointed at `from` (the user's head or the previous row of the chain) points at `to`.
  if (user_head.find(user) == f) {
    user_head.set(user, t);
  } else {
    for (uint32_t p = user_head.find(user); p != kNoRow; p = next_of_user[p]) {
      if (next_of_user[p] == f) {
        next_of_user[p] = t;
        break;
      }
    }
  }
  next_of_user[to] = next_of_user[from];
  face_ids[to] = face_ids[from];
  user_keys[to] = user;
  group_keys[to] = group_keys[from];
  row_of_face.set(face_ids[to], t);
}

size_t Gallery::Impl::memory_bytes() const {
  // Allocated capacity, not just what is in use.
  return sizeof(Impl) + f32.allocated_bytes() + i8.allocated_bytes() +
         scales.capacity() * sizeof(float) + face_ids.capacity() * sizeof(int64_t) +
         user_keys.capacity() * sizeof(int64_t) + group_keys.capacity() * sizeof(int32_t) +
         next_of_user.capacity() * sizeof(uint32_t) + row_of_face.memory_bytes() +
         user_head.memory_bytes() + scratch.capacity();
}

// Exact: every row scored in fp32, block by block, all queries of the chunk per block.
void Gallery::Impl::scan_f32(const float* q, size_t nq, float min_cosine, const Filter& f,
                             size_t begin, size_t end, std::vector<UserTopK>& tops) const {
  const size_t block = block_rows(stride_f32 * sizeof(float), nq);
  std::vector<float> scores(nq * block);
  const float below_min = just_below(min_cosine);
  for (size_t b0 = begin; b0 < end; b0 += block) {
    const size_t nb = std::min(block, end - b0);
    kernels->dot_batch_f32(q, nq, f32_row(b0), nb, stride_f32, scores.data());
    for (size_t qi = 0; qi < nq; ++qi) {
      UserTopK& top = tops[qi];
      const float* s = scores.data() + qi * nb;
      consider(s, b0, nb, below_min, f, top);
    }
  }
}

void Gallery::Impl::scan_f32_split(const float* q, size_t nq, size_t k, float min_cosine,
                                   const Filter& f, std::vector<UserTopK>& tops) const {
  const size_t parts = scan_threads(size, stride_f32 * sizeof(float), search_threads);
  if (parts == 1) {
    scan_f32(q, nq, min_cosine, f, 0, size, tops);
    return;
  }
  std::vector<std::vector<UserTopK>> part_tops(parts, std::vector<UserTopK>(nq, UserTopK(k)));
  for_row_ranges(size, parts, 16, [&](size_t part, size_t begin, size_t end) {
    scan_f32(q, nq, min_cosine, f, begin, end, part_tops[part]);
  });
  // Each part holds its best k users with each one's best row there; a user's best overall is
  // the best of those, which pushing them all into one UserTopK keeps.
  for (std::vector<UserTopK>& part : part_tops) {
    for (size_t qi = 0; qi < nq; ++qi) {
      for (const ScoredRow& r : part[qi].items()) tops[qi].push(r.user_key, r.row, r.score);
    }
  }
}

std::vector<float> Gallery::Impl::exact(const float* q, size_t nq,
                                        const std::vector<uint32_t>& rows) const {
  const size_t n = rows.size();
  std::vector<float> scores(nq * n, std::numeric_limits<float>::quiet_NaN());
  if (n == 0 || nq == 0) return scores;
  if (!int8()) {
    for (size_t qi = 0; qi < nq; ++qi) {
      for (size_t i = 0; i < n; ++i) {
        kernels->dot_many_f32(q + qi * stride_f32, f32_row(rows[i]), 1, stride_f32, &scores[qi * n + i]);
      }
    }
    return scores;
  }
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = face_ids[rows[i]];
  std::vector<float> vectors(n * dim);
  std::unique_ptr<bool[]> found(new bool[n]());
  source->read(ids.data(), n, vectors.data(), found.get());
  std::vector<float> s(n);
  for (size_t qi = 0; qi < nq; ++qi) {
    // The queries are padded to stride_f32 with zeros; their first dim floats are the query.
    kernels->dot_many_f32(q + qi * stride_f32, vectors.data(), n, dim, s.data());
    for (size_t i = 0; i < n; ++i) {
      if (found[i]) scores[qi * n + i] = s[i];
    }
  }
  return scores;
}

// Compressed: score every row in int8 and keep the best max(64, 8k) faces by that approximate
// score; read those faces' exact vectors from the source and re-score them; then re-score every
// other face of the k users that won, so each user's reported face and cosine are its exact best.
// If the best faces belong to fewer than k users (a few users with many faces crowd the list),
// those queries are scanned again keeping the best face of each of the best max(64, 8k) users
// instead (UserTopK).
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

  std::vector<std::vector<uint32_t>> rows(nq);
  std::vector<size_t> redo;
  for (size_t qi = 0; qi < nq; ++qi) {
    rows[qi] = faces[qi].rows();
    std::vector<int64_t> users;
    for (uint32_t row : rows[qi]) users.push_back(user_keys[row]);
    std::sort(users.begin(), users.end());
    const size_t distinct = static_cast<size_t>(std::unique(users.begin(), users.end()) - users.begin());
    if (distinct < k && faces[qi].full()) redo.push_back(qi);
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
      rows[redo[i]].clear();
      for (const ScoredRow& c : by_user[i].items()) rows[redo[i]].push_back(c.row);
    }
  }

  for (size_t qi = 0; qi < nq; ++qi) {
    const float* qv = q + qi * stride_f32;
    std::vector<float> s = exact(qv, 1, rows[qi]);
    for (size_t i = 0; i < rows[qi].size(); ++i) {
      if (s[i] >= min_cosine) tops[qi].push(user_keys[rows[qi][i]], rows[qi][i], s[i]);
    }
    // The winners' other faces: a user's scores only rise, so the set of k users stays and only
    // their faces and order can change.
    std::vector<uint32_t> scored = rows[qi], more;
    std::sort(scored.begin(), scored.end());
    for (const ScoredRow& w : tops[qi].items()) {
      for (uint32_t r : rows_of(w.user_key, f)) {
        if (!std::binary_search(scored.begin(), scored.end(), r)) more.push_back(r);
      }
    }
    s = exact(qv, 1, more);
    for (size_t i = 0; i < more.size(); ++i) {
      if (s[i] >= min_cosine) tops[qi].push(user_keys[more[i]], more[i], s[i]);
    }
  }
}

template <typename Top>
void Gallery::Impl::scan_approx(const int8_t* qi8, const float* qscale, const float* floor,
                                size_t nq, const Filter& f, std::vector<Top>& tops) const {
  const size_t block = block_rows(stride_i8, nq);
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
  const std::vector<uint32_t> rows = rows_of(user_key, f);
  const std::vector<float> s = exact(q, nq, rows);
  for (size_t qi = 0; qi < nq; ++qi) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const float score = s[qi * rows.size() + i];
      if (score >= min_cosine) tops[qi].push(user_key, rows[i], score);
    }
  }
}

Gallery::Gallery(int dim, GalleryStorage storage, std::shared_ptr<const VectorSource> source) {
  if (dim < 1 || dim > kMaxDim) {
    throw Error(ErrorCode::kInvalidArgument, "gallery dim must be in [1, " +
                                                 std::to_string(kMaxDim) + "], got " +
                                                 std::to_string(dim));
  }
  if (storage != GalleryStorage::kFloat32 && storage != GalleryStorage::kInt8Rerank) {
    throw Error(ErrorCode::kInvalidArgument,
                "unknown gallery storage " + std::to_string(static_cast<int>(storage)));
  }
  if (storage == GalleryStorage::kInt8Rerank && !source) {
    throw Error(ErrorCode::kInvalidArgument,
                "int8 storage re-ranks with exact vectors read from a vector source; none given");
  }
  impl_ = std::make_unique<Impl>(dim, storage, std::move(source));
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
  // Storage and index capacity are reserved: below, only a duplicate id throws, and it undoes
  // the ids it entered first.
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = entries[i].face_id;
    const uint32_t had = g.row_of_face.insert(id, static_cast<uint32_t>(g.size + i));
    if (had != kNoRow) {
      const bool in_batch = had >= g.size;
      for (size_t u = 0; u < i; ++u) g.row_of_face.erase(entries[u].face_id);
      throw Error(ErrorCode::kInvalidArgument,
                  "face_id " + std::to_string(id) +
                      (in_batch ? " appears twice in one add" : " is already in the gallery") +
                      "; nothing was added");
    }
  }
  for (size_t i = 0; i < n; ++i) g.write_row(g.size + i, entries[i], vectors + i * d);
  g.size += n;
}

size_t Gallery::remove(const int64_t* face_ids, size_t n) {
  Impl& g = *impl_;
  std::unique_lock lock(g.mutex);
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t row = g.row_of_face.find(face_ids[i]);
    if (row == kNoRow) continue;
    const size_t last = g.size - 1;
    g.row_of_face.erase(face_ids[i]);
    g.unlink_user_row(row);
    if (row != last) g.move_row(last, row);
    if (g.int8()) g.scales.pop_back();
    g.face_ids.pop_back();
    g.user_keys.pop_back();
    g.group_keys.pop_back();
    g.next_of_user.pop_back();
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
  std::vector<uint32_t>().swap(g.next_of_user);
  g.row_of_face.clear();
  g.user_head.clear();
  g.max_scale = 0.f;
  g.max_norm = 0.f;
}

void Gallery::set_search_threads(int threads) {
  if (threads < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "search threads must be >= 0 (0: automatic), got " + std::to_string(threads));
  }
  std::unique_lock lock(impl_->mutex);
  impl_->search_threads = threads == 0 ? default_search_threads() : static_cast<size_t>(threads);
}

int Gallery::search_threads() const {
  std::shared_lock lock(impl_->mutex);
  return static_cast<int>(impl_->search_threads);
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
      g.scan_f32_split(q, nq, k, query.min_cosine, filter, tops);
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
