// How fast do the paper's networks train here, and how close to this machine's
// matrix-multiply speed? One training step = forward, per-sample CE loss
// (mean), backward into every weight and an SGD step with momentum 0.9 and
// weight decay 1e-4 (as src/train/trainer.cpp does), in train mode (batch
// statistics), for the audio net, the visual net (ResNet18), AV Concat and the
// localizer, at the paper's size (224 px, 65535 samples; a couple of steps
// each, they are slow on 2 cores) and the default embedded profile's (48 px,
// 8192 samples). Prints clips/s, achieved GFLOP/s and, measured in this run, a
// float32 GEMM peak and each model's GFLOP/s as a fraction of it.
//
// Training FLOPs per clip ≈ 3 × the analytic forward FLOPs of model_flops.h
// (forward; backward to the activations ≈ 1 forward; backward to the weights
// ≈ 1 forward). It slightly overstates: the first layer of each branch needs
// no gradient with respect to its input, and BN, ReLU, pooling and the
// optimizer's update are not counted at all.
//   usage: bench_train [threads=2] [batch=16] [min_seconds=2]
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/models/av_model.h"
#include "avr/train/losses.h"
#include "bench_timing.h"
#include "model_flops.h"

namespace {

avr::AvModel make(const std::string& kind, int64_t image, int64_t audio) {
  auto m = avr_bench::make_model(kind, image, audio);
  m->train();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 16;
  const double min_s = argc > 3 ? std::atof(argv[3]) : 2.0;
  avr::configure_allocator();
  at::set_num_threads(threads);
  const double peak = avr_bench::gemm_peak_gflops();
  std::printf("threads %d, batch %lld, BLAS %s, allocator %s\n", at::get_num_threads(),
              static_cast<long long>(batch), avr::blas_library().c_str(),
              avr::allocator_description().c_str());
  std::printf("GEMM peak (float32 torch::mm 1024x1024x1024, best of 5): %.1f GFLOP/s\n", peak);
  std::printf("%-10s %4s %7s %6s %8s %8s %8s %10s %9s %8s\n", "model", "px", "samples", "steps",
              "s/step", "cpu-s", "clips/s", "GFLOP/clip", "GFLOP/s", "of peak");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  for (auto [image, samples] : {std::pair<int64_t, int64_t>{224, 65535}, {48, 8192}}) {
    const bool paper = image == 224;
    const auto audio = torch::rand({batch, samples}, gen) * 2 - 1;
    const auto frames = torch::rand({batch, 3, image, image}, gen);
    const auto labels = torch::randint(11, {batch}, gen, torch::kInt64);
    for (const char* kind : {"audio", "visual", "av", "localizer"}) {
      auto m = make(kind, image, samples);
      torch::optim::SGD sgd(m->parameters(),
                            torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(1e-4));
      auto step = [&] {
        avr::Features f = m->encode(audio, frames);
        auto logits = m->classify(f);
        auto loss = avr::per_sample_loss(avr::LossKind::CrossEntropy, logits, f, labels).mean();
        sgd.zero_grad();
        loss.backward();
        sgd.step();
      };
      // Paper size: 1 warm-up + 2 timed steps, whatever min_seconds says.
      step();  // warm-up: allocations, momentum buffers, OpenMP pool
      const auto tm = paper ? avr_bench::time_calls(step, 2, 0.0) : avr_bench::time_calls(step, 3, min_s);
      const double flops = 3 * avr_bench::forward_flops(m);  // per clip, see the top
      const double gflops = flops * batch / tm.wall / 1e9;
      std::printf("%-10s %4lld %7lld %6d %8.3f %8.3f %8.1f %10.3f %9.1f %7.1f%%\n", kind,
                  static_cast<long long>(image), static_cast<long long>(samples), tm.reps, tm.wall,
                  tm.cpu, batch / tm.wall, flops / 1e9, gflops, 100 * gflops / peak);
    }
  }
  return 0;
}
