#include "avr/defenses/row_product.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "avr/core/error.h"

namespace avr {
namespace {

// 32-byte vectors: one AVX2 register (two SSE ones in the default clone, half an AVX-512 one
// in that clone). 64-byte vectors were written first: GCC lowers them on AVX2 by spilling
// every accumulator to the stack, and the AVX2 clone ran 10× slower than this (100 dense-ish
// rows × a 1024×1024 float matrix, one thread, AMD EPYC: 53 ms → 5.3 ms; identical bits,
// since each lane's sum is the same sequence of operations whatever the vector width).
template <typename T>
struct Vec32;
template <>
struct Vec32<float> {
  typedef float type __attribute__((vector_size(32), aligned(4)));
};
template <>
struct Vec32<double> {
  typedef double type __attribute__((vector_size(32), aligned(8)));
};

// Rows [r0, r1) of out = a·w. Each output element is Σ_j a[r,j]·w[j,i] accumulated in j order
// over the row's non-zeros, by code that depends only on the column (block or tail), never
// on the row: the invariance this file exists for. Columns go in blocks of eight vectors
// (256 bytes; eight independent accumulator chains); each block of w is first copied to a
// contiguous panel [n, W] that stays in L2 while every row of the range uses it (read in
// place, rows of w a power of two apart alias in the cache).
template <typename T>
inline __attribute__((always_inline)) void product_rows(const T* a, const T* w, T* out,
                                                        int64_t r0, int64_t r1, int64_t n,
                                                        int64_t m) {
  using V = typename Vec32<T>::type;
  constexpr int kVectors = 8;
  constexpr int64_t W = kVectors * 32 / static_cast<int64_t>(sizeof(T));
  std::vector<int64_t> start(static_cast<size_t>(r1 - r0 + 1), 0), cols;
  std::vector<T> vals;
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = a + r * n;
    for (int64_t j = 0; j < n; ++j) {
      if (row[j] != T(0)) {
        cols.push_back(j);
        vals.push_back(row[j]);
      }
    }
    start[static_cast<size_t>(r - r0 + 1)] = static_cast<int64_t>(cols.size());
  }
  std::vector<T> panel(static_cast<size_t>(n * W));
  for (int64_t c = 0; c < m; c += W) {
    const int64_t width = std::min(W, m - c);
    for (int64_t j = 0; j < n; ++j) std::copy(w + j * m + c, w + j * m + c + width, &panel[j * W]);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t* col = cols.data() + start[static_cast<size_t>(r - r0)];
      const T* val = vals.data() + start[static_cast<size_t>(r - r0)];
      const int64_t count = start[static_cast<size_t>(r - r0 + 1)] - start[static_cast<size_t>(r - r0)];
      T* o = out + r * m + c;
      if (width == W) {
        V acc[kVectors] = {};
        for (int64_t p = 0; p < count; ++p) {
          const V s = V{} + val[p];
          const V* g = reinterpret_cast<const V*>(panel.data() + col[p] * W);
          for (int q = 0; q < kVectors; ++q) acc[q] += s * g[q];
        }
        V* ov = reinterpret_cast<V*>(o);
        for (int q = 0; q < kVectors; ++q) ov[q] = acc[q];
      } else {
        for (int64_t i = 0; i < width; ++i) {
          T acc = 0;
          for (int64_t p = 0; p < count; ++p) acc += val[p] * panel[col[p] * W + i];
          o[i] = acc;
        }
      }
    }
  }
}

// One clone per instruction set, picked once at load time: on a given machine every call
// runs the same code.
__attribute__((target_clones("avx512f", "avx2", "default"))) void product_rows_f32(
    const float* a, const float* w, float* out, int64_t r0, int64_t r1, int64_t n, int64_t m) {
  product_rows<float>(a, w, out, r0, r1, n, m);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void product_rows_f64(
    const double* a, const double* w, double* out, int64_t r0, int64_t r1, int64_t n, int64_t m) {
  product_rows<double>(a, w, out, r0, r1, n, m);
}

bool own_kernel(const torch::Tensor& a, const torch::Tensor& b) {
  return a.device().is_cpu() && b.device().is_cpu() && a.scalar_type() == b.scalar_type() &&
         (a.scalar_type() == torch::kFloat32 || a.scalar_type() == torch::kFloat64);
}

}  // namespace

torch::Tensor row_product(const torch::Tensor& a, const torch::Tensor& w) {
  AVR_ASSERT(a.dim() == 2 && w.dim() == 2 && a.size(1) == w.size(0), "row_product shapes ",
             a.sizes(), " x ", w.sizes());
  if (!own_kernel(a, w)) return a.mm(w);
  const torch::Tensor ac = a.contiguous(), wc = w.contiguous();
  const int64_t rows = a.size(0), n = a.size(1), m = w.size(1);
  torch::Tensor out = torch::empty({rows, m}, a.options());
  // Rows are split between threads, never an element's sum: the split cannot change a bit.
  at::parallel_for(0, rows, 4, [&](int64_t r0, int64_t r1) {
    if (a.scalar_type() == torch::kFloat32) {
      product_rows_f32(ac.data_ptr<float>(), wc.data_ptr<float>(), out.data_ptr<float>(), r0, r1,
                       n, m);
    } else {
      product_rows_f64(ac.data_ptr<double>(), wc.data_ptr<double>(), out.data_ptr<double>(), r0,
                       r1, n, m);
    }
  });
  return out;
}

torch::Tensor row_dot(const torch::Tensor& a, const torch::Tensor& b) {
  AVR_ASSERT(a.dim() == 2 && a.sizes() == b.sizes(), "row_dot shapes ", a.sizes(), " ", b.sizes());
  if (!own_kernel(a, b)) return (a * b).sum(1, /*keepdim=*/true);
  const torch::Tensor ac = a.contiguous(), bc = b.contiguous();
  const int64_t rows = a.size(0), n = a.size(1);
  torch::Tensor out = torch::empty({rows, 1}, a.options());
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "row_dot", [&] {
    const scalar_t* pa = ac.data_ptr<scalar_t>();
    const scalar_t* pb = bc.data_ptr<scalar_t>();
    scalar_t* po = out.data_ptr<scalar_t>();
    at::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        scalar_t s = 0;  // sequential: no reassociation, so the same bits for every row
        for (int64_t j = 0; j < n; ++j) s += pa[r * n + j] * pb[r * n + j];
        po[r] = s;
      }
    });
  });
  return out;
}

}  // namespace avr
