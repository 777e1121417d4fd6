// What do input-only gradients and a cached unattacked branch save in a PGD-10
// single-modality attack on the real network (Concat AV model), against the
// original code's way (backward() into every weight gradient, both inputs
// requiring grad, both branches recomputed each step)? Prints seconds per clip
// of a clean forward, FGSM, and the three PGD variants, and their ratios — all
// measured in this run, on this machine.
//   usage: bench_attacks [batch=4] [image_size=224] [audio_length=65535] [threads=0 (all)]
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "avr/attacks/attack.h"
#include "avr/attacks/pgd.h"
#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/models/av_model.h"

namespace {

using avr::Modality;

// The original's PGD loop (main_attack.py) for one modality: weights require
// grad, both inputs require grad, err.backward() each step.
void original_style_pgd(avr::AvModel& model, torch::Tensor audio, torch::Tensor frames, const torch::Tensor& y,
                        Modality m, double eps) {
  const double alpha = eps / 8;
  const auto clean_a = audio.clone(), clean_v = frames.clone();
  for (int t = 0; t < 10; ++t) {
    audio = audio.detach().requires_grad_(true);
    frames = frames.detach().requires_grad_(true);
    model->zero_grad();
    auto err = torch::nn::functional::cross_entropy(model->forward(audio, frames), y);
    err.backward();
    torch::NoGradGuard ng;
    if (m == Modality::Audio)
      audio = torch::min(torch::max(audio + alpha * audio.grad().sign(), clean_a - eps), clean_a + eps).clamp(-1, 1);
    else
      frames = torch::min(torch::max(frames + alpha * frames.grad().sign(), clean_v - eps), clean_v + eps).clamp(0, 1);
  }
}

// Reuses the unattacked branch's feature, computed once without grad.
avr::ObjectiveFn cached_objective(avr::AvModel& model, const torch::Tensor& audio, const torch::Tensor& frames,
                                  Modality m) {
  torch::Tensor fixed;
  {
    torch::NoGradGuard ng;
    fixed = m == Modality::Audio ? model->encode_visual(frames) : model->encode_audio(audio);
  }
  return avr::cross_entropy_objective([&model, fixed, m](const torch::Tensor& a, const torch::Tensor& v) {
    avr::Features f;
    f.audio = m == Modality::Audio ? model->encode_audio(a) : fixed;
    f.visual = m == Modality::Audio ? fixed : model->encode_visual(v);
    return model->classify(f);
  });
}

template <typename F>
double seconds(F&& f) {
  avr::Timer t;
  f();
  return t.seconds();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t B = argc > 1 ? std::atoll(argv[1]) : 4;
  const int64_t S = argc > 2 ? std::atoll(argv[2]) : 224;
  const int64_t L = argc > 3 ? std::atoll(argv[3]) : 65535;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  avr::configure_allocator();
  if (threads > 0) at::set_num_threads(threads);

  avr::ModelConfig cfg;
  cfg.num_classes = 11;
  cfg.image_size = S;
  cfg.audio_length = L;
  avr::AvModel model(cfg);
  model->eval();  // weights keep requires_grad, as in the original
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto audio = torch::rand({B, L}, gen) * 2 - 1;
  const auto frames = torch::rand({B, 3, S, S}, gen);
  const auto y = torch::randint(cfg.num_classes, {B}, gen, torch::kInt64);
  std::printf("batch %lld, frames %lldx%lld, audio %lld samples, %d threads, %s\n", (long long)B, (long long)S,
              (long long)S, (long long)L, at::get_num_threads(), avr::allocator_description().c_str());

  const auto plain = avr::cross_entropy_objective(
      [&](const torch::Tensor& a, const torch::Tensor& v) { return model->forward(a, v); });
  {
    torch::NoGradGuard ng;
    model->forward(audio, frames);  // warm-up
  }
  const double fwd = seconds([&] {
    torch::NoGradGuard ng;
    model->forward(audio, frames);
  });
  std::printf("clean forward            %7.3f s/clip\n", fwd / B);
  for (Modality m : {Modality::Audio, Modality::Visual}) {
    const auto threat = avr::ThreatModel::paper(m);
    const double fgsm = seconds([&] { avr::make_attack("fgsm")->run(plain, audio, frames, y, threat); });
    const double orig = seconds([&] { original_style_pgd(model, audio, frames, y, m, avr::kPaperEpsSingle); });
    avr::Pgd pgd;
    const double ours = seconds([&] { pgd.run(plain, audio, frames, y, threat); });
    const double cached = seconds([&] { pgd.run(cached_objective(model, audio, frames, m), audio, frames, y, threat); });
    std::printf("%s FGSM                  %7.3f s/clip  (%.2f× a forward)\n", avr::paper_label(m).c_str(), fgsm / B,
                fgsm / fwd);
    std::printf("%s PGD-10 original-style %7.3f s/clip\n", avr::paper_label(m).c_str(), orig / B);
    std::printf("%s PGD-10 input grads    %7.3f s/clip  (%.2f× faster)\n", avr::paper_label(m).c_str(), ours / B,
                orig / ours);
    std::printf("%s PGD-10 + cached branch %6.3f s/clip  (%.2f× faster than original-style)\n",
                avr::paper_label(m).c_str(), cached / B, orig / cached);
  }
  return 0;
}
