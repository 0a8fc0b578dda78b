#pragma once
// int64 key -> uint32 row, open addressing: the gallery's face and user indexes.
//
// Why not std::unordered_map: its node per key (next pointer + pair, ~32 bytes from malloc) plus a
// bucket pointer cost ~40-48 bytes a face, as much as an int8 d=128 vector itself, and kept the
// int8 gallery from being much smaller than the fp32 one. Here a key costs 12 bytes a slot, at
// a load between 3/8 and 3/4: 16-32 bytes.
//
// Linear probing over a power-of-two table; the hash is a 64-bit multiply (Fibonacci hashing), so
// sequential ids spread. Deletion shifts the following run back (no tombstones), so lookups never
// slow down after churn. Row kNone marks an empty slot, so rows must be < kNone.
//
// Not thread-safe: the gallery's lock guards it. reserve() is the only call that allocates, so a
// caller that reserved first can insert without an exception midway.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace faceedge {

class IdMap {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  size_t size() const { return size_; }
  size_t memory_bytes() const {
    return keys_.capacity() * sizeof(int64_t) + rows_.capacity() * sizeof(uint32_t);
  }

  // Room for `n` keys without another allocation (may throw bad_alloc; then nothing changed).
  void reserve(size_t n) {
    if (n * 4 <= slots() * 3) return;
    size_t cap = 16;
    while (cap * 3 < n * 4) cap *= 2;
    std::vector<int64_t> keys(cap);
    std::vector<uint32_t> rows(cap, kNone);
    keys_.swap(keys);
    rows_.swap(rows);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (rows[i] != kNone) place(keys[i], rows[i]);
    }
  }

  uint32_t find(int64_t key) const {
    if (size_ == 0) return kNone;
    for (size_t i = home(key);; i = next(i)) {
      if (rows_[i] == kNone) return kNone;
      if (keys_[i] == key) return rows_[i];
    }
  }

  // Inserts key -> row and returns kNone, or returns the row the key already has (no change).
  // Needs reserve(size() + 1) first.
  uint32_t insert(int64_t key, uint32_t row) {
    size_t i = home(key);
    for (; rows_[i] != kNone; i = next(i)) {
      if (keys_[i] == key) return rows_[i];
    }
    keys_[i] = key;
    rows_[i] = row;
    ++size_;
    return kNone;
  }

  // Changes the row of a present key (no-op when absent).
  void set(int64_t key, uint32_t row) {
    if (size_ == 0) return;
    for (size_t i = home(key); rows_[i] != kNone; i = next(i)) {
      if (keys_[i] == key) {
        rows_[i] = row;
        return;
      }
    }
  }

  // Removes key; false when absent.
  bool erase(int64_t key) {
    if (size_ == 0) return false;
    size_t i = home(key);
    for (;; i = next(i)) {
      if (rows_[i] == kNone) return false;
      if (keys_[i] == key) break;
    }
    // Backward shift: move each later entry of the run into the hole when its home position
    // does not lie (cyclically) in (hole, its slot].
    size_t hole = i;
    for (size_t j = next(i); rows_[j] != kNone; j = next(j)) {
      const size_t h = home(keys_[j]);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      keys_[hole] = keys_[j];
      rows_[hole] = rows_[j];
      hole = j;
    }
    rows_[hole] = kNone;
    --size_;
    return true;
  }

  void clear() {
    std::vector<int64_t>().swap(keys_);
    std::vector<uint32_t>().swap(rows_);
    size_ = 0;
  }

 private:
  size_t slots() const { return rows_.size(); }
  size_t home(int64_t key) const {
    const uint64_t h = static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> 32) & (slots() - 1);
  }
  size_t next(size_t i) const { return (i + 1) & (slots() - 1); }
  void place(int64_t key, uint32_t row) {
    size_t i = home(key);
    while (rows_[i] != kNone) i = next(i);
    keys_[i] = key;
    rows_[i] = row;
  }

  std::vector<int64_t> keys_;
  std::vector<uint32_t> rows_;
  size_t size_ = 0;
};

}  // namespace faceedge
