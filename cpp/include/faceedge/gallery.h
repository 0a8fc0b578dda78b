#pragma once
// The in-memory search structure behind a face library: unit vectors in contiguous aligned
// storage, each tagged with the face, user and group it belongs to. Searches and changes may run
// from many threads at once (a readers-writer lock: searches share, add/remove exclude).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faceedge/simd.h"

namespace faceedge {

enum class GalleryStorage : int {
  kFloat32 = 0,      // exact
  kInt8Rerank = 1,   // int8 scan for candidates, exact fp32 re-rank of the best of them, the
                     // fp32 vectors read from a VectorSource (not kept in memory)
};

// Where an int8 gallery reads the exact vectors of the faces it re-ranks: the durable store that
// holds them anyway (a face library's SQLite file), so memory holds only the int8 codes. Called
// during searches, from the searching thread, with the gallery's shared lock held; it must not
// call back into the gallery's add / remove / clear.
class VectorSource {
 public:
  virtual ~VectorSource() = default;
  // The dim floats of face_ids[i] at out + i * dim, and found[i] = true; a face the source no
  // longer holds (being removed) gets found[i] = false and is left out of the results.
  virtual void read(const int64_t* face_ids, size_t n, float* out, bool* found) const = 0;
};

struct GalleryEntry {
  int64_t face_id = 0;   // unique per stored vector
  int64_t user_key = 0;  // one (group, user) pair
  int32_t group_key = 0;
};

struct UserHit {
  int64_t user_key = 0;
  int64_t face_id = 0;   // the user's best face
  int32_t group_key = 0;
  float cosine = 0.f;
};

struct SearchQuery {
  std::vector<int32_t> group_keys;  // empty: every group
  int64_t user_key = -1;            // >= 0: only this user's faces (Baidu 1:N "authentication")
  int max_users = 1;                // top-k users, a user's score being its best face
  float min_cosine = -1.f;          // drop users below this
};

class Gallery {
 public:
  // kInt8Rerank needs a source (Error kInvalidArgument without one); kFloat32 ignores it.
  Gallery(int dim, GalleryStorage storage, std::shared_ptr<const VectorSource> source = nullptr);
  ~Gallery();
  Gallery(const Gallery&) = delete;
  Gallery& operator=(const Gallery&) = delete;

  int dim() const;
  GalleryStorage storage() const;
  size_t size() const;
  size_t memory_bytes() const;
  SimdLevel simd_level() const;

  // Vectors are n x dim floats, L2-normalised by the caller. A face_id already present is an
  // Error(kInvalidArgument) and nothing is added.
  void add(const GalleryEntry* entries, const float* vectors, size_t n);
  // Returns how many of the ids were present.
  size_t remove(const int64_t* face_ids, size_t n);
  void clear();

  // Threads an exact scan of a large gallery is split over (0: automatic, the CPU count up to 4);
  // galleries under a few MB are always scanned on the calling thread alone.
  void set_search_threads(int threads);
  int search_threads() const;

  // One result list per query row (queries: n x dim), best first.
  std::vector<std::vector<UserHit>> search(const float* queries, size_t n,
                                           const SearchQuery& query) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceedge
