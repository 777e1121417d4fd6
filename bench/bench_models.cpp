// How fast do the paper's networks run forward here, and where does the time
// go? Eval-mode forward (no grad), batch 8, of the audio net, the visual net
// (ResNet18), AV Concat and the localizer at the paper's size (224 px, 65535
// samples) and the embedded dataset's (48 px, 8192 samples). Prints clips/s,
// GFLOP/s (analytic conv + linear FLOPs, 2 per multiply-add) and, measured in
// this run, the ratio of an AV forward to audio + visual forwards (the fusion's
// overhead) and of 224/65535 to 48/8192 (the cost of the paper's sizes).
//   usage: bench_models [threads=2] [batch=8] [min_seconds=2]
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/models/av_model.h"
#include "bench_timing.h"
#include "model_flops.h"

namespace {

using avr_bench::audio_flops;
using avr_bench::visual_flops;

avr::AvModel make(const std::string& kind, int64_t image, int64_t audio) {
  auto m = avr_bench::make_model(kind, image, audio);
  m->eval();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 8;
  const double min_s = argc > 3 ? std::atof(argv[3]) : 2.0;
  avr::configure_allocator();
  at::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  std::printf("threads %d, batch %lld, BLAS %s, allocator %s\n", at::get_num_threads(),
              static_cast<long long>(batch), avr::blas_library().c_str(),
              avr::allocator_description().c_str());
  std::printf("%-10s %6s %7s %8s %8s %9s %9s %12s\n", "model", "px", "samples", "s/batch",
              "cpu-s", "clips/s", "GFLOP/s", "GFLOP/cpu-s");
  double av_time[2] = {0, 0};
  int idx = 0;
  for (auto [image, samples] : {std::pair<int64_t, int64_t>{224, 65535}, {48, 8192}}) {
    auto audio = torch::rand({batch, samples}) * 2 - 1;
    auto frames = torch::rand({batch, 3, image, image});
    double t_audio = 0, t_visual = 0;
    for (const char* kind : {"audio", "visual", "av", "localizer"}) {
      auto m = make(kind, image, samples);
      auto forward = [&] { m->forward(audio, frames); };
      forward();  // warm-up: allocations, OpenMP pool
      const auto tm = avr_bench::time_calls(forward, 3, min_s);
      const double t = tm.wall;
      double flops = 0;
      if (m->has_audio()) flops += audio_flops(samples);
      if (m->has_visual()) flops += visual_flops(image);
      std::printf("%-10s %6lld %7lld %8.4f %8.4f %9.1f %9.1f %12.1f\n", kind,
                  static_cast<long long>(image), static_cast<long long>(samples), t, tm.cpu,
                  batch / t, flops * batch / t / 1e9, flops * batch / tm.cpu / 1e9);
      if (std::string(kind) == "audio") t_audio = t;
      if (std::string(kind) == "visual") t_visual = t;
      if (std::string(kind) == "av") {
        av_time[idx] = t;
        std::printf("  av / (audio + visual) = %.3f  (analytic GFLOP/clip: audio %.2f, visual %.2f)\n",
                    t / (t_audio + t_visual), audio_flops(samples) / 1e9, visual_flops(image) / 1e9);
      }
    }
    ++idx;
  }
  std::printf("av forward 224/65535 vs 48/8192: %.1fx the time\n", av_time[0] / av_time[1]);
  return 0;
}
