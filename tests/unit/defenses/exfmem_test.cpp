#include "avr/defenses/exfmem.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "defenses_fixtures.h"
#include "test_support.h"

namespace avr {

TEST(ExFMem, MixZeroIsTheIdentity) {
  const auto p = test::random_problem(1, 12, 20, 3, torch::kFloat32);
  const LassoDictionary dict(p.memory);
  for (auto g : {ExFMemGradient::kNone, ExFMemGradient::kUnrolled, ExFMemGradient::kBpda}) {
    EXPECT_TRUE(torch::equal(exfmem(dict, p.features, 0.0, LassoSettings{}, g, 10), p.features))
        << to_string(g);
  }
}

TEST(ExFMem, MixesTheLassoReconstructionWithTheFeature) {
  const auto p = test::random_problem(2, 12, 20, 3);
  const LassoDictionary dict(p.memory);
  LassoSettings s;
  s.tol = 1e-10;
  const torch::Tensor h = solve_lasso(dict, p.features, s).h;
  const torch::Tensor expected = 0.6 * h.mm(p.memory.t()) + 0.4 * p.features;
  EXPECT_TRUE(torch::allclose(exfmem(dict, p.features, 0.6, s), expected, 0, 1e-12));
  // A feature that is (a multiple of) a bank column is kept nearly as is: the defense
  // moves features off the span of clean training features, not along it.
  const torch::Tensor column = 3.0 * p.memory.t().slice(0, 4, 5);
  const torch::Tensor out = exfmem(dict, column, 1.0, s);
  EXPECT_LT((out - column).norm().item<double>(), 0.1 * column.norm().item<double>());
}

// The unrolled map is a chain of differentiable ops: autograd must agree with central
// differences of the same map (double, a tiny problem, 30 FISTA steps).
TEST(ExFMem, UnrolledGradientMatchesFiniteDifferences) {
  const auto p = test::random_problem(3, 6, 10, 2);
  const LassoDictionary dict(p.memory);
  const double lambda = 0.05, mix = 0.5;
  const int64_t iters = 30;
  const torch::Tensor w = test::gaussian(3, "w", {2, 6});
  auto loss = [&](const torch::Tensor& f) {
    return (w * exfmem_unrolled(dict, f, mix, lambda, iters)).sum();
  };
  torch::Tensor f = p.features.clone().requires_grad_(true);
  loss(f).backward();
  const torch::Tensor grad = f.grad();
  // Not the trivial (1 − mix)·w of a constant code: the code's gradient is in there.
  EXPECT_GT((grad - (1 - mix) * w).abs().max().item<double>(), 1e-3);
  torch::NoGradGuard no_grad;
  const double eps = 1e-6;
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      torch::Tensor plus = p.features.clone(), minus = p.features.clone();
      plus[i][j] += eps;
      minus[i][j] -= eps;
      const double fd = (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * eps);
      EXPECT_NEAR(grad[i][j].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd)))
          << "at [" << i << "," << j << "]";
    }
  }
}

TEST(ExFMem, UnrolledConvergesToTheSolvedForward) {
  const auto p = test::random_problem(4, 16, 32, 3);
  const LassoDictionary dict(p.memory);
  LassoSettings s;
  s.tol = 1e-12;
  s.max_iter = 100000;
  const torch::Tensor exact = exfmem(dict, p.features, 0.5, s);
  // Plain FISTA (no restart) converges as O(1/t²): measured max error 1.1e-2 after 100
  // iterations, 1.8e-5 after 1000, 7.9e-8 after 3000.
  const torch::Tensor unrolled = exfmem_unrolled(dict, p.features, 0.5, s.lambda, 3000);
  EXPECT_TRUE(torch::allclose(unrolled, exact, 0, 1e-6));
  EXPECT_FALSE(torch::allclose(exfmem_unrolled(dict, p.features, 0.5, s.lambda, 100), exact, 0, 1e-6));
}

TEST(ExFMem, BpdaForwardIsExFMemAndBackwardIsIdentity) {
  const auto p = test::random_problem(5, 12, 20, 3);
  const LassoDictionary dict(p.memory);
  const LassoSettings s;
  const torch::Tensor w = test::gaussian(5, "w", {3, 12});
  torch::Tensor f = p.features.clone().requires_grad_(true);
  const torch::Tensor out = exfmem_bpda(dict, f, 0.5, s);
  EXPECT_TRUE(torch::allclose(out, exfmem(dict, p.features, 0.5, s), 0, 1e-14));
  (w * out).sum().backward();
  torch::Tensor g = p.features.clone().requires_grad_(true);
  (w * g).sum().backward();  // the identity's gradient
  EXPECT_TRUE(torch::equal(f.grad(), g.grad()));
  // kNone: the code is a constant, so only the (1 − mix)·f path carries gradient.
  torch::Tensor h = p.features.clone().requires_grad_(true);
  (w * exfmem(dict, h, 0.5, s)).sum().backward();
  EXPECT_TRUE(torch::allclose(h.grad(), 0.5 * w));
}

TEST(ExFMem, UsesOneBankPerModality) {
  const auto pa = test::random_problem(6, 8, 12, 2, torch::kFloat32);
  const auto pv = test::random_problem(7, 10, 14, 2, torch::kFloat32);
  const MemoryBank audio("audio", pa.memory, torch::arange(12, torch::kInt64));
  const MemoryBank visual("visual", pv.memory, torch::arange(14, torch::kInt64));
  ExFMemSettings s;
  s.mix = 0.6;
  const ExFMem defense(audio, visual, s);
  EXPECT_TRUE(torch::equal(defense.audio(pa.features),
                           exfmem(LassoDictionary(pa.memory), pa.features, 0.6, s.audio)));
  EXPECT_TRUE(torch::equal(defense.visual(pv.features),
                           exfmem(LassoDictionary(pv.memory), pv.features, 0.6, s.visual)));
  EXPECT_THROW(defense.audio(pv.features), Error);  // 10-d into the 8-d audio bank
  EXPECT_THROW(ExFMem(visual, audio, s), Error);    // banks swapped
}

TEST(ExFMemSettings, OriginalValuesValidationAndJson) {
  EXPECT_EQ(original_exfmem_mix("kinetics"), 0.6);
  EXPECT_EQ(original_exfmem_mix("music"), 0.5);
  // What avr attack and avr study use without --exfmem-mix: the original's on its datasets
  // (before, avr attack took 0.5 for Kinetics-Sounds while the study took 0.6).
  EXPECT_EQ(default_exfmem_mix("kinetics"), 0.6);
  EXPECT_EQ(default_exfmem_mix("ave"), 0.5);
  EXPECT_EQ(default_exfmem_mix("embedded"), ExFMemSettings{}.mix);
  EXPECT_EQ(default_exfmem_mix("my_extracted_set"), ExFMemSettings{}.mix);
  const LassoSettings music_v = original_ista_settings("music", "visual");
  EXPECT_EQ(music_v.solver, LassoSolver::kIsta);
  EXPECT_EQ(music_v.ista_step, 6e-6);
  EXPECT_EQ(original_ista_settings("ave", "audio").ista_step, 7e-7);
  EXPECT_THROW(original_ista_settings("kinetics", "audio"), Error);

  ExFMemSettings s;
  s.mix = 0.6;
  s.visual = music_v;
  s.unrolled_iterations = 40;
  EXPECT_EQ(nlohmann::json(nlohmann::json(s).get<ExFMemSettings>()), nlohmann::json(s));
  // The attacker's gradient is not a defense setting (it once was, and writing it did
  // nothing in evaluation): the strict reader refuses it, naming the key.
  const nlohmann::json with_gradient = {{"mix", 0.5}, {"gradient", "bpda"}};
  EXPECT_NE(test::error_of([&] { with_gradient.get<ExFMemSettings>(); }).find("unknown key 'gradient'"),
            std::string::npos);
  s.mix = 1.5;
  EXPECT_THROW(s.validate(), Error);
  EXPECT_THROW(parse_exfmem_gradient("exact"), Error);
}

}  // namespace avr

namespace avr {

// The implicit gradient is the derivative of the exact map: central differences of exfmem()
// itself (solved to the optimum) agree with autograd, and it is neither the constant code's
// (1 − mix)·w nor BPDA's identity. A small problem whose support is stable under ±1e-6.
TEST(ExFMem, ImplicitGradientMatchesFiniteDifferences) {
  const auto p = test::nonnegative_problem(8, 8, 2);
  const LassoDictionary dict(p.memory);
  const double mix = 0.5;
  LassoSettings s;
  s.tol = 1e-14;
  s.lambda = 0.05 * dict.correlate(p.features).abs().max().item<double>();  // a sparse code
  const torch::Tensor w = test::gaussian(8, "w", {2, 8});
  torch::Tensor f = p.features.clone().requires_grad_(true);
  const torch::Tensor out = exfmem_implicit(dict, f, mix, s);
  EXPECT_TRUE(torch::equal(out, exfmem(dict, p.features, mix, s)));  // forward unchanged
  (w * out).sum().backward();
  const torch::Tensor grad = f.grad();
  EXPECT_GT((grad - (1 - mix) * w).abs().max().item<double>(), 1e-2);
  EXPECT_GT((grad - w).abs().max().item<double>(), 1e-2);
  torch::NoGradGuard no_grad;
  const torch::Tensor h = solve_lasso(dict, p.features, s).h;
  const int64_t active = (h != 0).sum(1).min().item<int64_t>();
  EXPECT_GT(active, 1);
  EXPECT_LT(active, 8);  // a proper subspace: the projection is not the identity
  auto loss = [&](const torch::Tensor& x) { return (w * exfmem(dict, x, mix, s)).sum().item<double>(); };
  const double eps = 1e-6;
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 8; ++j) {
      torch::Tensor plus = p.features.clone(), minus = p.features.clone();
      plus[i][j] += eps;
      minus[i][j] -= eps;
      const double fd = (loss(plus) - loss(minus)) / (2 * eps);
      EXPECT_NEAR(grad[i][j].item<double>(), fd, 1e-5 * std::max(1.0, std::abs(fd)))
          << "at [" << i << "," << j << "]";
    }
  }
  EXPECT_EQ(parse_exfmem_gradient("implicit"), ExFMemGradient::kImplicit);
}

// The implicit gradient is the derivative at the optimum: a solver that stops short of it
// (ISTA, FISTA, CD) is refused, naming the flags, rather than differentiated at the wrong
// point; BPDA and the others take any solver.
TEST(ExFMem, ImplicitGradientRefusesASolverThatStopsShortOfTheOptimum) {
  const auto p = test::nonnegative_problem(8, 8, 2);
  const LassoDictionary dict(p.memory);
  torch::Tensor f = p.features.clone().requires_grad_(true);
  for (auto solver : {LassoSolver::kIsta, LassoSolver::kFista, LassoSolver::kCoordinateDescent}) {
    LassoSettings s;
    s.solver = solver;
    const std::string e = test::error_of([&] { exfmem_implicit(dict, f, 0.5, s); });
    EXPECT_NE(e.find(to_string(solver) + " solver stops short"), std::string::npos) << e;
    EXPECT_NE(e.find("--exfmem-solver active"), std::string::npos) << e;
    EXPECT_EQ(test::error_of([&] { check_exfmem_gradient(ExFMemGradient::kBpda, s); }), "(no error)");
  }
  EXPECT_EQ(test::error_of([&] { check_exfmem_gradient(ExFMemGradient::kImplicit, LassoSettings{}); }),
            "(no error)");
}

}  // namespace avr

namespace avr {

// The evaluation's use of a warm start: an adversarial feature (the clean one, perturbed)
// solved from the clip's own clean code. Certified like a cold solve, in fewer Newton steps,
// and within the certificate of the cold solution: ½‖M(h − h*)‖² ≤ P(h) − P(h*) ≤ gap for
// any h (strong convexity in M h), so two certified codes' reconstructions are at most
// √(2·gap_warm) + √(2·gap_cold) apart, and the defended features mix times that.
TEST(ExFMem, WarmStartFromTheCleanCodeReachesTheCertificateAndTheColdSolution) {
  const auto p = test::nonnegative_problem(9, 32, 4);
  const LassoDictionary dict(p.memory);
  const LassoSettings s;  // active set, tol 1e-6
  const double mix = 0.5;
  const ExFMemResult clean = exfmem_warm(dict, p.features, mix, s, ExFMemGradient::kNone, 10);
  ASSERT_TRUE(clean.codes.defined());
  EXPECT_TRUE(torch::equal(clean.feature, exfmem(dict, p.features, mix, s)));  // cold: same bits
  const torch::Tensor adv = p.features + 0.02 * p.features.abs().mean() *
                                             test::gaussian(9, "step", p.features.sizes()).sign();
  const ExFMemResult warm = exfmem_warm(dict, adv, mix, s, ExFMemGradient::kNone, 10, clean.codes);
  const LassoResult cold = solve_lasso(dict, adv, s);
  ASSERT_TRUE(cold.converged.all().item<bool>());
  const LassoCertificate cw = lasso_certificate(dict, adv, warm.codes, s.lambda);
  EXPECT_LE((cw.gap / cw.objective).max().item<double>(), s.tol);
  EXPECT_FALSE(torch::equal(warm.codes, cold.h));  // a different start, a different stop...
  const torch::Tensor bound = mix * ((2 * cw.gap).sqrt() + (2 * cold.gap).sqrt());
  const torch::Tensor apart = (warm.feature - exfmem(dict, adv, mix, s)).norm(2, 1);
  EXPECT_TRUE(apart.le(bound).all().item<bool>()) << apart << bound;  // ...within the certificate
  EXPECT_LT(((cw.objective - cold.objective).abs() / cold.objective).max().item<double>(), 2 * s.tol);
  // Fewer Newton steps than cold, clip by clip.
  const LassoResult warm_steps = solve_lasso(dict, adv, s, clean.codes);
  EXPECT_TRUE(warm_steps.iterations.lt(cold.iterations).all().item<bool>())
      << warm_steps.iterations << cold.iterations;
  // BPDA and implicit solve from the warm start too (the same codes); unrolled and mix = 0 do
  // not solve.
  for (auto g : {ExFMemGradient::kBpda, ExFMemGradient::kImplicit}) {
    const ExFMemResult r = exfmem_warm(dict, adv, mix, s, g, 10, clean.codes);
    EXPECT_TRUE(torch::equal(r.codes, warm.codes)) << to_string(g);
    EXPECT_TRUE(torch::allclose(r.feature, warm.feature, 1e-12, 0)) << to_string(g);
  }
  EXPECT_FALSE(exfmem_warm(dict, adv, mix, s, ExFMemGradient::kUnrolled, 10, clean.codes).codes.defined());
  EXPECT_FALSE(exfmem_warm(dict, adv, 0.0, s, ExFMemGradient::kNone, 10, clean.codes).codes.defined());
}

// A clip's warm-started result depends on the clip and its own warm start only.
TEST(ExFMem, WarmStartIsBatchInvariant) {
  const auto p = test::nonnegative_problem(10, 24, 3);
  const LassoDictionary dict(p.memory);
  const LassoSettings s;
  const torch::Tensor codes = solve_lasso(dict, p.features, s).h;
  const torch::Tensor adv = 1.01 * p.features + 0.01 * p.features.roll(1, 1);
  const ExFMemResult batch = exfmem_warm(dict, adv, 0.5, s, ExFMemGradient::kNone, 10, codes);
  for (int64_t i = 0; i < 3; ++i) {
    const ExFMemResult alone = exfmem_warm(dict, adv.slice(0, i, i + 1), 0.5, s,
                                           ExFMemGradient::kNone, 10, codes.slice(0, i, i + 1));
    EXPECT_TRUE(torch::equal(alone.codes[0], batch.codes[i])) << "clip " << i;
    EXPECT_TRUE(torch::equal(alone.feature[0], batch.feature[i])) << "clip " << i;
  }
}

}  // namespace avr
