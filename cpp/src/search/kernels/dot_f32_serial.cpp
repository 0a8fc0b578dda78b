// The reference f32 kernels: plain C++, no intrinsics, compiled with -fno-tree-vectorize and
// -ffp-contract=off so they stay one scalar multiply and one add per element.
// Accumulates: each dot product in one float, in index order 0..d-1.
// Tails: none; every length runs through the same loop.
#include "search/kernels/kernels.h"

namespace faceedge::kernels {
namespace {

float dot_f32_serial(const float* a, const float* b, size_t d) {
  float sum = 0.f;
  for (size_t i = 0; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

void dot_many_f32_serial(const float* q, const float* rows, size_t n, size_t d, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_f32_serial(q, rows + j * d, d);
}

void dot_batch_f32_serial(const float* queries, size_t nq, const float* rows, size_t n, size_t d,
                          float* out) {
  for (size_t i = 0; i < nq; ++i) dot_many_f32_serial(queries + i * d, rows, n, d, out + i * n);
}

float sum_f32_serial(const float* x, size_t n) {
  float sum = 0.f;
  for (size_t i = 0; i < n; ++i) sum += x[i];
  return sum;
}

}  // namespace faceedge::kernels
