// How much faster is FISTA than the original's fixed-step ISTA at ExFMem's job, at the
// paper's bank size (d = 512, k = 1024) and at equal objective value?
//  1. original-style ISTA: step 1e-6, a clip stops at ‖h − h′‖₂ < 8e-4 or 2000 iterations;
//  2. FISTA with its tolerance tightened (×1/3 from 0.1) until every clip's objective is at or
//     below ISTA's: the time of that run, and the ratio;
//  3. FISTA with the default settings (tol 1e-6, at most 2000 iterations), as ExFMem runs it.
// Gaps are relative to the best objective found for the first clips by a long FISTA run
// (a lower bound on the true gap where that run has not converged: its KKT is printed).
// Synthetic features shaped like max-pooled ReLU encoder outputs (non-negative, correlated),
// scaled so that L = λ_max(MᵀM) = 1e6, where the original's MUSIC audio step 1e-6 is 1/L.
//   usage: bench_lasso [features=1000] [threads=0: all cores] [reference clips=32]
// ISTA and the equal-objective FISTA are timed twice (the faster counts).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "avr/core/rng.h"
#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/data/runtime.h"
#include "avr/defenses/lasso.h"

namespace {

torch::Tensor features(uint64_t seed, const char* name, int64_t n, int64_t d) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(avr::Rng(seed).fork(name).next_u64());
  const torch::Tensor shared = torch::randn({1, d}, gen);  // what all clips have in common
  return torch::relu(shared + torch::randn({n, d}, gen) + 0.5);
}

struct Run {
  avr::LassoResult result;
  double seconds;
};

Run timed(const avr::LassoDictionary& dict, const torch::Tensor& f, const avr::LassoSettings& s) {
  avr::Timer t;
  avr::LassoResult r = avr::solve_lasso(dict, f, s);
  return {r, t.seconds()};
}

// The faster of two runs: the machines we share are noisy. Results are identical bits.
Run best_of_two(const avr::LassoDictionary& dict, const torch::Tensor& f,
                const avr::LassoSettings& s) {
  Run a = timed(dict, f, s);
  const Run b = timed(dict, f, s);
  a.seconds = std::min(a.seconds, b.seconds);
  return a;
}

avr::LassoSettings fista_settings(double tol) {
  avr::LassoSettings s;
  s.tol = tol;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int64_t n_ref = std::min<int64_t>(n, argc > 3 ? std::atoll(argv[3]) : 32);
  avr::configure_allocator();
  avr::set_threads(threads);
  const int64_t d = 512, k = 1024;
  const double lambda = 0.1;

  torch::Tensor bank = features(1, "bank", k, d).t().contiguous();  // [d,k]
  torch::Tensor test = features(1, "test", n, d);
  const double scale = std::sqrt(1e6 / avr::LassoDictionary(bank).lipschitz());
  bank = bank * scale;
  test = test * scale;
  avr::Timer build;
  const avr::LassoDictionary dict(bank);
  std::printf("bank d=%lld k=%lld float32, %lld test features, %d threads, BLAS %s\n"
              "L = %.4g; Gram + eigvalsh, once per bank: %.3f s\n",
              static_cast<long long>(d), static_cast<long long>(k), static_cast<long long>(n),
              avr::threads(), avr::blas_library().c_str(), dict.lipschitz(), build.seconds());

  {  // warm-up: thread pools, allocator
    avr::LassoSettings w;
    w.max_iter = 10;
    avr::solve_lasso(dict, test, w);
  }
  // Best objective for the first n_ref clips (rows are batch-invariant, so these clips'
  // codes in the full runs below are the codes they would get alone).
  const torch::Tensor sub = test.slice(0, 0, n_ref);
  avr::LassoSettings ref_s;
  ref_s.tol = 1e-9;
  ref_s.max_iter = 20000;
  const Run ref = timed(dict, sub, ref_s);
  const torch::Tensor obj_ref = avr::lasso_objective(dict, sub, ref.result.h, lambda);
  std::printf("reference (first %lld clips): FISTA tol 1e-9, <= 20000 iterations: %lld converged, "
              "KKT residual max %.2e (b = Mᵀf up to %.3g), %.1f s\n",
              static_cast<long long>(n_ref),
              static_cast<long long>(ref.result.converged.sum().item<int64_t>()),
              avr::lasso_kkt_residual(dict, sub, ref.result.h, lambda).max().item<double>(),
              dict.correlate(sub).abs().max().item<double>(), ref.seconds);
  auto report = [&](const char* name, const Run& run) {
    const torch::Tensor gap =
        (avr::lasso_objective(dict, sub, run.result.h.slice(0, 0, n_ref), lambda) - obj_ref) / obj_ref;
    std::printf("%-36s %8.2f s/1000 features  iterations mean %7.1f max %5lld  "
                "rel. gap mean %.2e max %.2e\n",
                name, run.seconds * 1000.0 / n,
                run.result.iterations.to(torch::kDouble).mean().item<double>(),
                static_cast<long long>(run.result.iterations.max().item<int64_t>()),
                gap.mean().item<double>(), gap.max().item<double>());
  };

  avr::LassoSettings ista_s;
  ista_s.solver = avr::LassoSolver::kIsta;
  ista_s.ista_step = 1e-6;
  const Run ista = best_of_two(dict, test, ista_s);
  const torch::Tensor obj_ista = avr::lasso_objective(dict, test, ista.result.h, lambda);
  report("ISTA, original (step 1e-6, 8e-4 stop)", ista);

  Run fista{};
  double tol = 1e-1;
  for (; tol >= 1e-9; tol /= 3) {
    fista = timed(dict, test, fista_settings(tol));
    const torch::Tensor obj = avr::lasso_objective(dict, test, fista.result.h, lambda);
    if ((obj <= obj_ista).all().item<bool>()) break;
  }
  fista.seconds = std::min(fista.seconds, timed(dict, test, fista_settings(tol)).seconds);
  char label[64];
  std::snprintf(label, sizeof label, "FISTA, ISTA's objective (tol %.1e)", tol);
  report(label, fista);
  std::printf("=> ISTA / FISTA time at equal objective: %.2fx\n", ista.seconds / fista.seconds);

  const Run fista_default = timed(dict, test, avr::LassoSettings{});
  report("FISTA, default (tol 1e-6, <= 2000 it)", fista_default);
  avr::Timer rec;
  const torch::Tensor out = 0.5 * dict.reconstruct(fista_default.result.h) + 0.5 * test;
  const double rec_s = rec.seconds();
  std::printf("=> ExFMem per 1000 features: ISTA original %.2f s, FISTA default %.2f s "
              "(%lld of %lld clips reached tol), + reconstruction and mix %.3f s\n",
              ista.seconds * 1000.0 / n, fista_default.seconds * 1000.0 / n,
              static_cast<long long>(fista_default.result.converged.sum().item<int64_t>()),
              static_cast<long long>(n), rec_s * 1000.0 / n);
  return out.size(0) == n ? 0 : 1;
}
