// How long does the exact t-SNE of the Fig. 5/10/11 maps take, and does it
// scale as n² (the exact gradient) at the sizes we use? Embeds n = 500, 1000,
// 2000 points of 512-D features (10 Gaussian classes, L2-normalized like the
// encoders' features in embedding_map) with the default settings (perplexity
// 30, 1000 iterations) and prints the seconds, the time of the perplexity
// calibration alone, and the ratio to the previous n, against n² = 4 per doubling.
//   usage: bench_tsne [threads=0: all cores]
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "avr/core/rng.h"
#include "avr/core/timer.h"
#include "avr/data/runtime.h"
#include "avr/eval/tsne.h"

namespace {

torch::Tensor features(int64_t n, int64_t d) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(avr::Rng(1).fork("bench_tsne").next_u64());
  auto centers = torch::randn({10, d}, gen, torch::kFloat64);
  auto labels = torch::arange(n, torch::kInt64).remainder(10);
  auto x = centers.index_select(0, labels) + 0.7 * torch::randn({n, d}, gen, torch::kFloat64);
  return x / x.norm(2, 1, true);
}

}  // namespace

int main(int argc, char** argv) {
  avr::set_threads(argc > 1 ? std::atoi(argv[1]) : 0);
  std::printf("exact t-SNE, 512-D input, perplexity 30, 1000 iterations, %d threads\n",
              avr::threads());
  std::printf("%6s %12s %12s %12s %14s %8s\n", "n", "total s", "calib s", "s/100 it",
              "ratio to n/2", "final KL");
  double previous = 0;
  for (int64_t n : {500, 1000, 2000}) {
    const auto x = features(n, 512);
    avr::Timer tc;
    avr::tsne_conditional_affinities(x, 30);
    const double calib = tc.seconds();
    avr::Timer t;
    const auto r = avr::tsne(x, avr::TsneSettings{});
    const double s = t.seconds();
    char ratio[32] = "-";
    if (previous > 0) std::snprintf(ratio, sizeof ratio, "%.2f (n²: 4)", s / previous);
    std::printf("%6lld %12.2f %12.2f %12.3f %14s %8.3f\n", static_cast<long long>(n), s, calib,
                (s - calib) / 10.0, ratio, r.kl);
    std::fflush(stdout);
    previous = s;
  }
  return 0;
}
