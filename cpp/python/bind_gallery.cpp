// Gallery, SIMD level override and the raw kernels (for the kernel tests). Thin glue: arrays are
// checked and viewed with the GIL held, the core runs with it released, results are built after.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "arrays.h"
#include "bindings.h"
#include "faceedge/error.h"
#include "faceedge/gallery.h"
#include "faceedge/simd.h"
#include "search/dispatch.h"
#include "search/kernels/kernels.h"

namespace faceedge::python {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}


py::array as_array(const py::handle& obj, const char* name) {
  py::array a = py::array::ensure(obj);
  if (!a) invalid(std::string(name) + " must be an array");
  return a;
}

// A C-contiguous array of T converted from an array whose dtype kind is one of `kinds`; other
// kinds (e.g. floats given for ids) are an error instead of a silent cast.
template <typename T>
py::array_t<T, py::array::c_style | py::array::forcecast> typed(const py::handle& obj,
                                                                const char* name,
                                                                const char* kinds) {
  py::array a = as_array(obj, name);
  const char kind = a.dtype().kind();
  if (std::strchr(kinds, kind) == nullptr) {
    invalid(std::string(name) + " has dtype " + std::string(py::str(a.dtype())) +
            ", expected " + std::string(py::str(py::dtype::of<T>())));
  }
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

std::vector<int64_t> int_vector(const py::handle& obj, const char* name, int64_t lo, int64_t hi) {
  py::array a = as_array(obj, name);
  if (a.ndim() != 1) invalid(std::string(name) + " must be 1-D, got shape " + shape_of(a));
  if (a.size() > 0 && a.dtype().kind() == 'u') {
    auto u = typed<uint64_t>(a, name, "u");
    for (py::ssize_t i = 0; i < u.size(); ++i) {
      if (u.data()[i] > static_cast<uint64_t>(hi)) invalid(std::string(name) + " value out of range");
    }
  }
  auto v = typed<int64_t>(a, name, a.size() == 0 ? "iuf" : "iu");
  std::vector<int64_t> out(v.data(), v.data() + v.size());
  for (int64_t x : out) {
    if (x < lo || x > hi) {
      invalid(std::string(name) + " value " + std::to_string(x) + " is out of range [" +
              std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  return out;
}

using FloatRows = py::array_t<float, py::array::c_style | py::array::forcecast>;

// float32 (n, dim) rows; a 1-D (dim,) array is one row when allow_1d.
FloatRows float_rows(const py::handle& obj, const char* name, size_t dim, bool allow_1d) {
  FloatRows a = typed<float>(obj, name, "f");
  const bool one_d = allow_1d && a.ndim() == 1;
  if (!(a.ndim() == 2 || one_d) || static_cast<size_t>(a.shape(a.ndim() - 1)) != dim) {
    invalid(std::string(name) + " must have shape (n, " + std::to_string(dim) + "), got " +
            shape_of(a));
  }
  return a;
}

size_t rows_of(const py::array& a) { return a.ndim() == 1 ? 1 : static_cast<size_t>(a.shape(0)); }

GalleryStorage storage_from_name(const std::string& name) {
  if (name == "float32") return GalleryStorage::kFloat32;
  if (name == "int8") return GalleryStorage::kInt8Rerank;
  invalid("gallery storage must be 'float32' or 'int8', got '" + name + "'");
}

std::string storage_name(GalleryStorage s) {
  return s == GalleryStorage::kInt8Rerank ? "int8" : "float32";
}

const kernels::KernelTable& table_for(const std::optional<std::string>& level) {
  return level ? kernels::kernel_table(available_simd_level_from_name(*level))
               : kernels::active_kernel_table();
}

struct DotShape {
  size_t m, n, d;
  bool one_query;
};

template <typename In>
DotShape dot_shape(const py::array_t<In, py::array::c_style | py::array::forcecast>& q,
                   const py::array_t<In, py::array::c_style | py::array::forcecast>& r) {
  if (q.ndim() != 1 && q.ndim() != 2) invalid("query must be 1-D (d,) or 2-D (m, d), got " + shape_of(q));
  if (r.ndim() != 2) invalid("rows must be 2-D (n, d), got " + shape_of(r));
  const size_t d = static_cast<size_t>(q.shape(q.ndim() - 1));
  if (static_cast<size_t>(r.shape(1)) != d) {
    invalid("query " + shape_of(q) + " and rows " + shape_of(r) + " differ in d");
  }
  return {q.ndim() == 1 ? 1 : static_cast<size_t>(q.shape(0)), static_cast<size_t>(r.shape(0)), d,
          q.ndim() == 1};
}

template <typename Out>
py::array_t<Out> dot_output(const DotShape& s) {
  return s.one_query ? py::array_t<Out>(static_cast<py::ssize_t>(s.n))
                     : py::array_t<Out>({static_cast<py::ssize_t>(s.m), static_cast<py::ssize_t>(s.n)});
}

// (d,) x (n, d) -> (n,) with dot_many; (m, d) x (n, d) -> (m, n) with dot_batch.
py::array dot_f32(const py::handle& query, const py::handle& rows, const kernels::KernelTable& t) {
  auto q = typed<float>(query, "query", "f");
  auto r = typed<float>(rows, "rows", "f");
  const DotShape s = dot_shape(q, r);
  py::array_t<float> out = dot_output<float>(s);
  const float* qp = q.data();
  const float* rp = r.data();
  float* op = out.mutable_data();
  {
    // Only the kernel runs without the GIL: returning `out` touches its reference count.
    py::gil_scoped_release release;
    if (s.one_query) {
      t.dot_many_f32(qp, rp, s.n, s.d, op);
    } else {
      t.dot_batch_f32(qp, s.m, rp, s.n, s.d, op);
    }
  }
  return out;
}

// Rows are packed into the tile16 layout the gallery stores (d padded to a multiple of 4 and n
// to a multiple of 16 with zeros), run through the level's tile kernel, and unpacked.
py::array dot_i8(const py::handle& query, const py::handle& rows, const kernels::KernelTable& t) {
  for (const py::handle& h : {query, rows}) {
    py::array a = as_array(h, "query and rows");
    if (!a.dtype().is(py::dtype::of<int8_t>())) {
      invalid("int8 kernels take int8 arrays, got " + std::string(py::str(a.dtype())));
    }
  }
  auto q = typed<int8_t>(query, "query", "i");
  auto r = typed<int8_t>(rows, "rows", "i");
  const DotShape s = dot_shape(q, r);
  if (s.d > 131072) invalid("int8 kernels take d <= 131072");
  py::array_t<int32_t> out = dot_output<int32_t>(s);
  const int8_t* qp = q.data();
  const int8_t* rp = r.data();
  int32_t* op = out.mutable_data();
  // No rows or no queries: nothing to score, and the empty buffers below would hand memcpy a
  // null pointer. d == 0: every product is an empty sum.
  if (s.n == 0 || s.m == 0) return out;
  if (s.d == 0) {
    std::fill(op, op + s.m * s.n, 0);
    return out;
  }
  {
  py::gil_scoped_release release;  // released for the packing and the kernel, not the return
  const size_t d4 = (s.d + kernels::kTileGroup - 1) / kernels::kTileGroup * kernels::kTileGroup;
  const size_t ntiles = (s.n + kernels::kTileRows - 1) / kernels::kTileRows;
  std::vector<int8_t> tiles(ntiles * kernels::kTileRows * d4, 0);
  for (size_t i = 0; i < s.n; ++i) kernels::put_tile_row(tiles.data(), i, d4, rp + i * s.d, s.d);
  std::vector<int8_t> padded(s.m * d4, 0);
  for (size_t i = 0; i < s.m; ++i) std::memcpy(padded.data() + i * d4, qp + i * s.d, s.d);
  std::vector<int32_t> scores(s.m * ntiles * kernels::kTileRows);
  t.dot_tiles_i8(padded.data(), s.m, tiles.data(), ntiles, d4, scores.data());
  for (size_t i = 0; i < s.m; ++i) {
    std::memcpy(op + i * s.n, scores.data() + i * ntiles * kernels::kTileRows, s.n * sizeof(int32_t));
  }
  }
  return out;
}

// An int8 gallery's VectorSource backed by a Python callable: int64 face ids (n,) -> float32
// (n, dim) exact vectors, a row of NaN for a face it no longer holds. Searches call it with the
// GIL released, so it takes the GIL for the call; an exception the callable raises propagates
// to the search's caller unchanged.
class PyVectorSource : public VectorSource {
 public:
  PyVectorSource(py::function fn, size_t dim) : fn_(std::move(fn)), dim_(dim) {}
  void read(const int64_t* face_ids, size_t n, float* out, bool* found) const override {
    py::gil_scoped_acquire gil;
    py::array_t<int64_t> ids(static_cast<py::ssize_t>(n));
    if (n > 0) std::memcpy(ids.mutable_data(), face_ids, n * sizeof(int64_t));
    const py::object result = fn_(ids);
    auto v = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(result);
    if (!v || v.ndim() != 2 || static_cast<size_t>(v.shape(0)) != n ||
        static_cast<size_t>(v.shape(1)) != dim_) {
      invalid("the gallery's vector source must return float32 (" + std::to_string(n) + ", " +
              std::to_string(dim_) + ") for " + std::to_string(n) + " face ids");
    }
    if (n > 0) std::memcpy(out, v.data(), n * dim_ * sizeof(float));
    for (size_t i = 0; i < n; ++i) found[i] = !std::isnan(out[i * dim_]);
  }

 private:
  py::function fn_;
  size_t dim_;
};

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

}  // namespace

void bind_gallery(py::module_& m) {
  m.def(
      "set_simd_level",
      [](const std::optional<std::string>& name) {
        if (name) {
          set_simd_level_override(available_simd_level_from_name(*name));
        } else {
          clear_simd_level_override();
        }
      },
      py::arg("name"));

  m.def(
      "dot_many_f32",
      [](const py::handle& query, const py::handle& rows, const std::optional<std::string>& level) {
        return dot_f32(query, rows, table_for(level));
      },
      py::arg("query"), py::arg("rows"), py::arg("level") = py::none());

  m.def(
      "sum_f32",
      [](const py::handle& values, const std::optional<std::string>& level) {
        auto x = typed<float>(values, "values", "f");
        const kernels::KernelTable& t = table_for(level);
        const float* p = x.data();
        const size_t n = static_cast<size_t>(x.size());
        py::gil_scoped_release release;
        return t.sum_f32(p, n);
      },
      py::arg("values"), py::arg("level") = py::none());

  m.def(
      "dot_many_i8",
      [](const py::handle& query, const py::handle& rows, const std::optional<std::string>& level) {
        return dot_i8(query, rows, table_for(level));
      },
      py::arg("query"), py::arg("rows"), py::arg("level") = py::none());

  py::class_<Gallery>(m, "Gallery")
      .def(py::init([](int dim, const std::string& storage, const py::object& vectors) {
             std::shared_ptr<const VectorSource> source;
             if (!vectors.is_none()) {
               if (!PyCallable_Check(vectors.ptr())) invalid("vectors must be a callable or None");
               source = std::make_shared<PyVectorSource>(vectors.cast<py::function>(),
                                                         static_cast<size_t>(std::max(dim, 0)));
             }
             return std::make_unique<Gallery>(dim, storage_from_name(storage), std::move(source));
           }),
           py::arg("dim"), py::arg("storage") = "float32", py::arg("vectors") = py::none())
      .def_property_readonly("dim", &Gallery::dim)
      .def_property_readonly("storage", [](const Gallery& g) { return storage_name(g.storage()); })
      .def_property_readonly("simd_level", [](const Gallery& g) { return simd_level_name(g.simd_level()); })
      // Both take the gallery's lock: without the GIL, so a search waiting in its vector source
      // for the GIL can never wait on them.
      .def_property_readonly("memory_bytes",
                             [](const Gallery& g) {
                               py::gil_scoped_release release;
                               return g.memory_bytes();
                             })
      .def_property(
          "search_threads",
          [](const Gallery& g) {
            py::gil_scoped_release release;
            return g.search_threads();
          },
          [](Gallery& g, int threads) {
            py::gil_scoped_release release;
            g.set_search_threads(threads);
          })
      .def("__len__", &Gallery::size, py::call_guard<py::gil_scoped_release>())
      .def(
          "add",
          [](Gallery& g, const py::handle& face_ids, const py::handle& user_keys,
             const py::handle& group_keys, const py::handle& vectors) {
            constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
            const std::vector<int64_t> ids = int_vector(face_ids, "face_ids", std::numeric_limits<int64_t>::min(), kMax64);
            const std::vector<int64_t> users = int_vector(user_keys, "user_keys", 0, kMax64);
            const std::vector<int64_t> groups =
                int_vector(group_keys, "group_keys", std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::max());
            FloatRows v = float_rows(vectors, "vectors", static_cast<size_t>(g.dim()), false);
            const size_t n = rows_of(v);
            if (ids.size() != n || users.size() != n || groups.size() != n) {
              invalid("face_ids, user_keys, group_keys and vectors must have the same length (" +
                      std::to_string(ids.size()) + ", " + std::to_string(users.size()) + ", " +
                      std::to_string(groups.size()) + ", " + std::to_string(n) + ")");
            }
            std::vector<GalleryEntry> entries(n);
            for (size_t i = 0; i < n; ++i) {
              entries[i] = {ids[i], users[i], static_cast<int32_t>(groups[i])};
            }
            const float* data = v.data();
            py::gil_scoped_release release;
            g.add(entries.data(), data, n);
          },
          py::arg("face_ids"), py::arg("user_keys"), py::arg("group_keys"), py::arg("vectors"))
      .def(
          "remove",
          [](Gallery& g, const py::handle& face_ids) {
            const std::vector<int64_t> ids = int_vector(face_ids, "face_ids",
                                                        std::numeric_limits<int64_t>::min(),
                                                        std::numeric_limits<int64_t>::max());
            py::gil_scoped_release release;
            return g.remove(ids.data(), ids.size());
          },
          py::arg("face_ids"))
      .def("clear", &Gallery::clear, py::call_guard<py::gil_scoped_release>())
      .def(
          "search",
          [](const Gallery& g, const py::handle& queries, int max_users,
             const std::optional<std::vector<int64_t>>& group_keys, int64_t user_key,
             float min_cosine) {
            FloatRows q = float_rows(queries, "queries", static_cast<size_t>(g.dim()), true);
            const size_t n = q.size() == 0 ? 0 : rows_of(q);
            SearchQuery query;
            query.max_users = max_users;
            query.user_key = user_key;
            query.min_cosine = min_cosine;
            if (group_keys) {
              for (int64_t k : *group_keys) {
                if (k < std::numeric_limits<int32_t>::min() || k > std::numeric_limits<int32_t>::max()) {
                  invalid("group key " + std::to_string(k) + " is out of the int32 range");
                }
                query.group_keys.push_back(static_cast<int32_t>(k));
              }
            }
            const float* data = q.data();
            std::vector<std::vector<UserHit>> hits;
            {
              py::gil_scoped_release release;
              hits = g.search(data, n, query);
            }
            py::list out;
            for (const auto& list : hits) {
              std::vector<int64_t> users, faces;
              std::vector<int32_t> groups;
              std::vector<float> cosines;
              for (const UserHit& h : list) {
                users.push_back(h.user_key);
                faces.push_back(h.face_id);
                groups.push_back(h.group_key);
                cosines.push_back(h.cosine);
              }
              py::dict d;
              d["user_keys"] = to_numpy(users);
              d["face_ids"] = to_numpy(faces);
              d["group_keys"] = to_numpy(groups);
              d["cosines"] = to_numpy(cosines);
              out.append(std::move(d));
            }
            return out;
          },
          py::arg("queries"), py::arg("max_users") = 1, py::arg("group_keys") = py::none(),
          py::arg("user_key") = -1, py::arg("min_cosine") = -1.0f);
}

}  // namespace faceedge::python
