// ExFMem's Lasso at the paper's bank size (d = 512, k = 1024, λ = 0.1), same run, same features,
// the two ratios of the solver's goal:
//  1. the original's fixed-step ISTA: step 1e-6, a clip stops at ‖h − h′‖₂ < 8e-4 or 2000
//     iterations (far from the optimum);
//  2. the active-set solver (the default: ADMM phase, then Newton) to a certified duality gap
//     ≤ 1e-6 of each clip's objective: ISTA's time / its time (goal: ≥ 1), for the default
//     ADMM iterations and a few others;
//  3. the active-set solver stopped as soon as every clip's objective is at or below ISTA's:
//     without the ADMM phase, Newton steps capped at 1, 2, 4, ... until it is (the cheapest
//     route there; a loosened gap tolerance certifies only near the optimum): ISTA's time /
//     its time (goal: ≥ 50).
// Every clip's duality gap is computed from scratch (lasso_certificate) for both solvers.
// Synthetic features shaped like max-pooled ReLU encoder outputs (non-negative, correlated),
// scaled so that L = λ_max(MᵀM) = 1e6, where the original's MUSIC audio step 1e-6 is 1/L.
//   usage: bench_lasso [features=1000] [threads=0: all cores]
// Like the avr CLI, it re-executes itself with a short OpenMP spin (GOMP_SPINCOUNT=1000)
// unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set: on shared machines libgomp's default spin
// makes every parallel region wait for busy cores.
// ISTA and the certified default are timed twice each (the faster counts): machines are shared.
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

  const avr::LassoSettings active_s;  // the default: ADMM phase, Newton to gap <= 1e-6·P
  const Run active = best_of_two(dict, test, active_s);
  report("active set, certified (gap <= 1e-6·P)", active);
  std::printf("=> goal 1, time to a certified gap <= 1e-6 (ADMM %lld iterations): ISTA %.2f s / "
              "active set %.2f s = %.2fx (goal >= 1)\n",
              static_cast<long long>(active_s.admm_iter), ista.seconds, active.seconds,
              ista.seconds / active.seconds);
  for (int64_t admm : {int64_t{0}, int64_t{10}, int64_t{50}, int64_t{200}}) {
    if (admm == 0 && n > 64) continue;  // ~6x ISTA's time: `bench_lasso 64` measures it
    avr::LassoSettings s;
    s.admm_iter = admm;
    const Run other = timed(dict, test, s);
    char name[64];
    std::snprintf(name, sizeof name, "active set, certified, ADMM %lld its",
                  static_cast<long long>(admm));
    report(name, other);
    std::printf("   ISTA / this = %.2fx\n", ista.seconds / other.seconds);
  }

  Run capped{};
  int64_t steps = 1;
  for (; steps <= active_s.max_iter; steps *= 2) {
    avr::LassoSettings s;
    s.admm_iter = 0;
    s.max_iter = steps;
    capped = best_of_two(dict, test, s);
    const torch::Tensor obj = avr::lasso_objective(dict, test, capped.result.h, lambda);
    if ((obj <= obj_ista).all().item<bool>()) break;
  }
  char label[64];
  std::snprintf(label, sizeof label, "active set, ISTA's objective (%lld steps)",
                static_cast<long long>(steps));
  report(label, capped);
  std::printf("=> goal 2, at ISTA's objective (no ADMM, Newton steps capped): ISTA %.2f s / "
              "active set %.3f s = %.1fx (goal >= 50)\n",
              ista.seconds, capped.seconds, ista.seconds / capped.seconds);
  const torch::Tensor out = 0.5 * dict.reconstruct(active.result.h) + 0.5 * test;
  return out.size(0) == n ? 0 : 1;
}
