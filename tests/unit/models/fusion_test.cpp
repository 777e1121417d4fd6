#include "avr/models/fusion.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"

namespace avr {
namespace {

struct Pair {
  torch::Tensor a = torch::rand({3, 8}), v = torch::rand({3, 8}) - 0.5;
};

TEST(Fusion, SumAndConcatVisualFirst) {
  Pair p;
  auto sum = make_fusion(FusionKind::Sum, 8, true);
  EXPECT_EQ(sum->output_dim(), 8);
  EXPECT_TRUE(torch::equal(sum->forward(p.a, p.v), p.a + p.v));
  auto cat = make_fusion(FusionKind::Concat, 8, true);
  EXPECT_EQ(cat->output_dim(), 16);
  auto y = cat->forward(p.a, p.v);
  EXPECT_TRUE(torch::equal(y.slice(1, 0, 8), p.v));  // visual first, as the original
  EXPECT_TRUE(torch::equal(y.slice(1, 8, 16), p.a));
  EXPECT_TRUE(sum->parameters().empty() && cat->parameters().empty());
}

TEST(Fusion, FilmIsLinearScaleOfVisionPlusAudio) {
  Pair p;
  auto film = make_fusion(FusionKind::Film, 8, true);
  film->reset_parameters(Rng(2));
  auto* f = dynamic_cast<FilmFusion*>(film.get());
  ASSERT_NE(f, nullptr);
  auto expected = (torch::matmul(p.a, f->alpha->weight.t()) + f->alpha->bias) * p.v + p.a;
  EXPECT_TRUE(torch::allclose(film->forward(p.a, p.v), expected, 1e-6, 1e-6));
  EXPECT_EQ(film->parameters().size(), 2u);
}

TEST(Fusion, GatesFollowTheFormulas) {
  Pair p;
  // Literal supplement eqs. 5–6: σ(f_a)·f_v + σ(f_v)·f_a, no parameters.
  auto gs = make_fusion(FusionKind::GatedSum, 8, /*gate_projection=*/false);
  EXPECT_TRUE(gs->parameters().empty());
  auto f1 = torch::sigmoid(p.a) * p.v, f2 = torch::sigmoid(p.v) * p.a;
  EXPECT_TRUE(torch::allclose(gs->forward(p.a, p.v), f1 + f2));
  auto gc = make_fusion(FusionKind::GatedConcat, 8, false);
  EXPECT_EQ(gc->output_dim(), 16);
  EXPECT_TRUE(torch::allclose(gc->forward(p.a, p.v), torch::cat({f1, f2}, 1)));
  // Learned gates: σ(W x + b).
  auto lg = make_fusion(FusionKind::GatedSum, 8, true);
  lg->reset_parameters(Rng(4));
  auto* g = dynamic_cast<GatedFusion*>(lg.get());
  ASSERT_NE(g, nullptr);
  auto ga = torch::sigmoid(torch::matmul(p.a, g->gate_a->weight.t()) + g->gate_a->bias);
  auto gv = torch::sigmoid(torch::matmul(p.v, g->gate_v->weight.t()) + g->gate_v->bias);
  EXPECT_TRUE(torch::allclose(lg->forward(p.a, p.v), ga * p.v + gv * p.a, 1e-6, 1e-6));
  EXPECT_EQ(lg->kind(), FusionKind::GatedSum);
}

TEST(Fusion, ClearErrors) {
  EXPECT_THROW(make_fusion(FusionKind::None, 8, true), Error);
  auto sum = make_fusion(FusionKind::Sum, 8, true);
  EXPECT_THROW(sum->forward(torch::rand({3, 8}), torch::Tensor()), Error);
  EXPECT_THROW(sum->forward(torch::rand({3, 8}), torch::rand({2, 8})), Error);
  EXPECT_THROW(sum->forward(torch::rand({3, 7}), torch::rand({3, 7})), Error);
}

}  // namespace
}  // namespace avr
