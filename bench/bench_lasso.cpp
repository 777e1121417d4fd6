// ExFMem's Lasso at the paper's bank size (d = 512, k = 1024, λ = 0.1), same run, same features:
//  1. the original's fixed-step ISTA: step 1e-6, a clip stops at ‖h − h′‖₂ < 8e-4 or 2000
//     iterations (far from the optimum);
//  2. the active-set solver (the default) to a certified duality gap ≤ 1e-6 of each clip's
//     objective: its time against ISTA's (the goal: no more);
//  3. the active-set solver stopped as soon as every clip's objective is at or below ISTA's,
//     two ways: (a) the tolerance on the gap loosened ×1/3 from 0.1 until it is; (b) the
//     default tolerance with the Newton steps capped at 1, 2, 4, ... until it is (the gap
//     certifies only near the optimum, so (a) measures the time to about 10% of the optimum):
//     time ratios ISTA / active set.
// Every clip's duality gap is computed from scratch (lasso_certificate) for both solvers.
// Synthetic features shaped like max-pooled ReLU encoder outputs (non-negative, correlated),
// scaled so that L = λ_max(MᵀM) = 1e6, where the original's MUSIC audio step 1e-6 is 1/L.
//   usage: bench_lasso [features=1000] [threads=0: all cores]
// Like the avr CLI, it re-executes itself with a short OpenMP spin (GOMP_SPINCOUNT=1000)
// unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set: on shared machines libgomp's default spin
// makes every parallel region wait for busy cores.
// ISTA is timed twice (the faster counts).
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

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  avr::reexec_with_short_openmp_spin(argv);
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
  std::printf("bank d=%lld k=%lld float32, %lld test features, %d threads, BLAS %s, OpenMP %s\n"
              "L = %.4g; Gram + eigvalsh, once per bank: %.3f s\n",
              static_cast<long long>(d), static_cast<long long>(k), static_cast<long long>(n),
              avr::threads(), avr::blas_library().c_str(), avr::openmp_wait_description().c_str(),
              dict.lipschitz(), build.seconds());

  {  // warm-up: thread pools, allocator
    avr::LassoSettings w;
    w.solver = avr::LassoSolver::kFista;
    w.max_iter = 10;
    avr::solve_lasso(dict, test, w);
  }
  auto report = [&](const char* name, const Run& run) {
    const avr::LassoCertificate cert = avr::lasso_certificate(dict, test, run.result.h, lambda);
    const torch::Tensor rel = cert.gap / cert.objective;
    std::printf("%-44s %8.2f s/1000 features  iterations mean %7.1f max %5lld  "
                "rel. duality gap mean %.2e max %.2e, <= 1e-6: %lld of %lld\n",
                name, run.seconds * 1000.0 / n,
                run.result.iterations.to(torch::kDouble).mean().item<double>(),
                static_cast<long long>(run.result.iterations.max().item<int64_t>()),
                rel.mean().item<double>(), rel.max().item<double>(),
                static_cast<long long>(rel.le(1e-6).sum().item<int64_t>()), static_cast<long long>(n));
  };

  avr::LassoSettings ista_s;
  ista_s.solver = avr::LassoSolver::kIsta;
  ista_s.ista_step = 1e-6;
  const Run ista = best_of_two(dict, test, ista_s);
  const torch::Tensor obj_ista = avr::lasso_objective(dict, test, ista.result.h, lambda);
  report("ISTA, original (step 1e-6, 8e-4 stop)", ista);

  const avr::LassoSettings active_s;  // the default: active set, gap <= 1e-6 of the objective
  const Run active = timed(dict, test, active_s);
  report("active set, certified (gap <= 1e-6·P)", active);
  std::printf("=> time to a certified gap <= 1e-6: active set %.2f s vs ISTA's stop %.2f s "
              "(active / ISTA = %.2fx)\n",
              active.seconds, ista.seconds, active.seconds / ista.seconds);

  Run equal{};
  double tol = 1e-1;
  for (; tol >= 1e-9; tol /= 3) {
    avr::LassoSettings s;
    s.tol = tol;
    equal = timed(dict, test, s);
    const torch::Tensor obj = avr::lasso_objective(dict, test, equal.result.h, lambda);
    if ((obj <= obj_ista).all().item<bool>()) break;
  }
  char label[64];
  std::snprintf(label, sizeof label, "active set, ISTA's objective (tol %.1e)", tol);
  report(label, equal);
  std::printf("=> at ISTA's objective (tol sweep): ISTA %.2f s / active set %.2f s = %.2fx\n",
              ista.seconds, equal.seconds, ista.seconds / equal.seconds);

  Run capped{};
  int64_t steps = 1;
  for (; steps <= active_s.max_iter; steps *= 2) {
    avr::LassoSettings s;
    s.max_iter = steps;
    capped = timed(dict, test, s);
    const torch::Tensor obj = avr::lasso_objective(dict, test, capped.result.h, lambda);
    if ((obj <= obj_ista).all().item<bool>()) break;
  }
  std::snprintf(label, sizeof label, "active set, ISTA's objective (%lld steps)",
                static_cast<long long>(steps));
  report(label, capped);
  std::printf("=> at ISTA's objective (step cap): ISTA %.2f s / active set %.2f s = %.2fx\n",
              ista.seconds, capped.seconds, ista.seconds / capped.seconds);
  const torch::Tensor out = 0.5 * dict.reconstruct(active.result.h) + 0.5 * test;
  return out.size(0) == n ? 0 : 1;
}
