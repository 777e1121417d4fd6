#include "avr/defenses/row_product.h"

#include <gtest/gtest.h>

#include "defenses_fixtures.h"

namespace avr {

// Widths that exercise full column blocks (64 floats, 32 doubles) and ragged tails.
TEST(RowProduct, EqualsMatmulUpToRounding) {
  for (auto type : {torch::kFloat32, torch::kFloat64}) {
    for (int64_t m : {13, 64, 70, 200}) {
      const torch::Tensor a = test::gaussian(1, "a", {9, 37}, type);
      const torch::Tensor w = test::gaussian(1, "w", {37, m}, type);
      const double tol = type == torch::kFloat32 ? 1e-5 : 1e-13;
      EXPECT_TRUE(torch::allclose(row_product(a, w), a.mm(w), tol, tol)) << m;
      EXPECT_TRUE(torch::allclose(row_dot(a, a), (a * a).sum(1, true), tol, tol));
    }
  }
}

// The property the Lasso solvers rely on: a row's bits do not depend on the other rows.
// (OpenBLAS's GEMM fails this: a row multiplied alone differs from the same row in a batch.)
TEST(RowProduct, RowsAreBitwiseIndependentOfTheBatch) {
  for (auto type : {torch::kFloat32, torch::kFloat64}) {
    torch::Tensor a = test::gaussian(2, "a", {23, 150}, type);
    a = a * (test::gaussian(2, "mask", {23, 150}, type) > 0).to(type);  // sparse rows too
    const torch::Tensor w = test::gaussian(2, "w", {150, 130}, type);
    const torch::Tensor batch = row_product(a, w);
    for (int64_t r = 0; r < 23; ++r) {
      EXPECT_TRUE(torch::equal(row_product(a.slice(0, r, r + 1), w)[0], batch[r])) << r;
    }
    const torch::Tensor order = torch::flip(torch::arange(23, torch::kInt64), {0});
    EXPECT_TRUE(torch::equal(row_product(a.index_select(0, order), w), batch.index_select(0, order)));
    const torch::Tensor b = test::gaussian(2, "b", {23, 150}, type);
    const torch::Tensor d = row_dot(a, b);
    EXPECT_TRUE(torch::equal(row_dot(a.slice(0, 5, 6), b.slice(0, 5, 6))[0], d[5]));
  }
}

// Each element is Σ_j a[r,j]·w[j,i] over the row's non-zeros, one rounded product and one
// rounded sum at a time, in j order: the kernel's vector width (32 bytes since the AVX2 fix,
// 64 before) and column block cannot change a bit. Full blocks and a ragged tail.
TEST(RowProduct, EachElementIsTheSequentialSumInColumnOrder) {
  for (auto type : {torch::kFloat32, torch::kFloat64}) {
    torch::Tensor a = test::gaussian(4, "a", {5, 300}, type);
    a = a * (test::gaussian(4, "mask", {5, 300}, type) > 0).to(type);
    const torch::Tensor w = test::gaussian(4, "w", {300, 150}, type);
    const torch::Tensor out = row_product(a, w);
    AT_DISPATCH_FLOATING_TYPES(type, "sequential", [&] {
      const auto pa = a.accessor<scalar_t, 2>(), pw = w.accessor<scalar_t, 2>();
      const auto po = out.accessor<scalar_t, 2>();
      int64_t mismatches = 0;
      for (int64_t r = 0; r < 5; ++r)
        for (int64_t i = 0; i < 150; ++i) {
          volatile scalar_t acc = 0;  // no reassociation, no fused multiply-add
          for (int64_t j = 0; j < 300; ++j) {
            if (pa[r][j] == 0) continue;
            volatile scalar_t product = pa[r][j] * pw[j][i];
            acc = acc + product;
          }
          mismatches += po[r][i] != acc;
        }
      EXPECT_EQ(mismatches, 0) << type;
    });
  }
}

TEST(RowProduct, ZeroRowsAndColumnsAreExact) {
  const torch::Tensor w = test::gaussian(3, "w", {20, 70}, torch::kFloat32);
  torch::Tensor a = torch::zeros({3, 20});
  a[1][4] = 2.0f;
  const torch::Tensor out = row_product(a, w);
  EXPECT_TRUE(torch::equal(out[0], torch::zeros({70})));
  EXPECT_TRUE(torch::equal(out[1], 2.0f * w[4]));  // one non-zero: one product, exact
}

}  // namespace avr
