// ExFMem's Lasso on a trained model's own features (bench_lasso uses synthetic ones): the
// test clips' audio and visual features of an avr checkpoint, coded against its memory banks
// (built or loaded as `avr attack --exfmem` does: 1024 columns, λ = 0.1). Same run, same
// features, for each modality:
//  - the study's baseline, the original's fixed-step ISTA at step 1/L (stop at
//    ‖h − h′‖₂ < 8e-4 or 2000 iterations);
//  - the active-set solver to a certified duality gap ≤ 1e-6 of each clip's objective, for
//    several lengths of its ADMM phase (0 = Newton from zeros), each timed twice (the faster
//    counts: machines are shared), with the mean and max Newton steps per clip.
// It answers: which ADMM length makes the certified solve cheapest on real features, and
// how its time compares with ISTA's (the fidelity issue's goal: ≤ ISTA's).
//   usage: bench_lasso_features CHECKPOINT DATA_ROOT [clips=200] [threads=0: all cores]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/data/loader.h"
#include "avr/data/runtime.h"
#include "avr/defenses/exfmem.h"
#include "avr/defenses/lasso.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/model_on_dataset.h"

namespace {

struct Run {
  avr::LassoResult result;
  double seconds = 0;
};

Run best_of_two(const avr::LassoDictionary& dict, const torch::Tensor& f, const avr::LassoSettings& s) {
  Run best;
  for (int i = 0; i < 2; ++i) {
    avr::Timer t;
    avr::LassoResult r = avr::solve_lasso(dict, f, s);
    const double sec = t.seconds();
    if (i == 0 || sec < best.seconds) best = {r, sec};
  }
  return best;
}

void report(const char* name, const avr::LassoDictionary& dict, const torch::Tensor& f,
            const Run& run, double lambda, double ista_seconds) {
  const avr::LassoCertificate cert = avr::lasso_certificate(dict, f, run.result.h, lambda);
  const torch::Tensor rel = cert.gap / cert.objective;
  const torch::Tensor support = run.result.h.ne(0).sum(1).to(torch::kDouble);
  std::printf("  %-30s %8.2f s/1000  ISTA/this %5.2fx  its mean %7.1f max %5lld  support mean %6.1f  "
              "rel. gap max %.1e, certified %lld/%lld\n",
              name, run.seconds * 1000.0 / f.size(0), ista_seconds / run.seconds,
              run.result.iterations.to(torch::kDouble).mean().item<double>(),
              static_cast<long long>(run.result.iterations.max().item<int64_t>()),
              support.mean().item<double>(), rel.max().item<double>(),
              static_cast<long long>(rel.le(1e-6).sum().item<int64_t>()),
              static_cast<long long>(f.size(0)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_lasso_features CHECKPOINT DATA_ROOT [clips=200] [threads=0]\n");
    return 2;
  }
  const std::string checkpoint = argv[1];
  avr::DatasetSpec spec;
  spec.root = argv[2];
  const int64_t clips = argc > 3 ? std::atoll(argv[3]) : 200;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  avr::reexec_with_short_openmp_spin(argv);
  avr::configure_allocator();
  avr::set_threads(threads);
  try {
    auto m = avr::open_model_on_dataset(checkpoint, spec, torch::kCPU);
    const avr::MemoryBankSettings banks;
    const avr::ExFMemSettings es;
    auto ex = avr::load_or_build_exfmem(checkpoint, m.model, m.split("train"), m.clip, banks, es, torch::kCPU);
    const auto test = m.split("test");
    avr::LoaderSettings ls;
    ls.batch_size = clips;
    ls.limit = clips;
    avr::BatchLoader loader(test, m.clip, ls);
    loader.start_epoch(0);
    auto b = loader.next();
    torch::NoGradGuard ng;
    const torch::Tensor fa = m.model->encode_audio(b->audio), fv = m.model->encode_visual(b->frames);
    std::printf("%s: %lld test clips, %d threads, CPU %s, BLAS kernel %s\n", checkpoint.c_str(),
                static_cast<long long>(fa.size(0)), avr::threads(), avr::cpu_description().c_str(),
                avr::blas_kernel().c_str());
    for (auto [name, dict, f, base] :
         {std::tuple{"audio", &ex->audio_dictionary(), fa, es.audio},
          std::tuple{"visual", &ex->visual_dictionary(), fv, es.visual}}) {
      std::printf("%s bank d=%lld k=%lld, L = %.4g\n", name, static_cast<long long>(dict->dim()),
                  static_cast<long long>(dict->atoms()), dict->lipschitz());
      avr::solve_lasso(*dict, f.narrow(0, 0, 4), base);  // warm-up: thread pools, allocator
      avr::LassoSettings ista = base;
      ista.solver = avr::LassoSolver::kIsta;
      ista.ista_step = 0;  // 1/L
      ista.ista_tol = 8e-4;
      ista.max_iter = 2000;
      const Run ista_run = best_of_two(*dict, f, ista);
      report("ISTA, step 1/L, stop 8e-4", *dict, f, ista_run, base.lambda, ista_run.seconds);
      for (int64_t admm : {int64_t{0}, int64_t{10}, int64_t{50}, int64_t{100}, int64_t{200}, int64_t{400}}) {
        avr::LassoSettings s = base;
        s.admm_iter = admm;
        char label[64];
        std::snprintf(label, sizeof label, "active, ADMM %lld%s", static_cast<long long>(admm),
                      admm == base.admm_iter ? " (default)" : "");
        report(label, *dict, f, best_of_two(*dict, f, s), base.lambda, ista_run.seconds);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_lasso_features: %s\n", e.what());
    return 1;
  }
  return 0;
}
