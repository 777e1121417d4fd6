// Batch-invariant row products: every output row is computed by the same fixed sequence of
// floating-point operations, whatever the number of rows and the row's place in the batch.
// BLAS GEMM picks kernels by shape and position (measured with OpenBLAS: a row's result
// changes in its last bits when it is multiplied alone, in a batch, or in a permuted batch),
// which would make a clip's Lasso code depend on its batch-mates. The solvers use these.
#pragma once

#include <torch/types.h>

namespace avr {

// a [B,n] · w [n,m] → [B,m]. On the CPU (float or double): out[r,:] = Σ_j a[r,j]·w[j,:] summed
// in j order, skipping a[r,j] = 0, so sparse rows (Lasso codes) cost less. On other devices:
// torch::mm (batch-invariant only up to rounding there).
torch::Tensor row_product(const torch::Tensor& a, const torch::Tensor& w);

// Σ_j a[r,j]·b[r,j] per row, in j order: [B,n] × [B,n] → [B,1].
torch::Tensor row_dot(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace avr
