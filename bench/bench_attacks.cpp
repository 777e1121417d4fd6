// What do input-only gradients and a cached unattacked branch save in a PGD-10
// single-modality attack on the real network (Concat AV model), against the
// original code's way (backward() into every weight gradient, both inputs
// requiring grad, both branches recomputed each step)? Prints seconds per clip
// of a clean forward, FGSM, and the three PGD variants, and their ratios — all
// measured in this run, on this machine.
//
// Then the throughput of what the evaluation runs — PGD-10 ✗A, ✗V and ✗AV with
// input-only gradients and the cached unattacked branch (avr::batch_objective
// of src/eval/defended_model.cpp, bare network) — at the paper's size
// (224 px, 65535 samples, `batch` clips) and the default embedded profile's
// (48 px, 8192 samples, `embedded_batch` clips): clips/s, achieved GFLOP/s and
// the fraction of a float32 GEMM peak measured in this run (model_flops.h).
// FLOPs of one PGD-10 run, per clip (an approximation, analytic FLOPs of
// model_flops.h: convolutions, fusion and classifier matrices):
//   10 steps × 2 × (forward FLOPs of the attacked branch(es) + fusion/classifier)
//   + 1 forward of the unattacked branch (computed once, then cached).
// 2×, not the 3× of a training step: a step is a forward plus a backward to the
// attacked input only (torch::autograd::grad with the inputs named), which
// skips every weight gradient, so the backward costs ≈ 1 forward (the
// transposed convolutions). BN, ReLU, pooling, sign and projection are not
// counted.
//
// Square (score-based, forward passes only) at the default profile's size (Concat, 48 px,
// 8192 samples, `embedded_batch` clips, labels the model's own predictions so every clip
// is attacked, the paper's eps): what one query costs as the whole batch with the
// unattacked branch cached (avr::batch_objective), as k clips named as rows of the batch
// (the cache read at those rows, what Square does: attacks/square.h), and as k clips
// without rows (the branch recomputed), and a run of `square_queries` proposals:
// objective calls/s and clip-queries/s (rows evaluated; AutoAttack's 5000 queries are per
// clip).
//   usage: bench_attacks [batch=4] [image_size=224] [audio_length=65535] [threads=0 (all)]
//                        [embedded_batch=32] [square_queries=200]
//          bench_attacks square [embedded_batch=32] [square_queries=200] [threads=0]: Square only
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "avr/attacks/attack.h"
#include "avr/attacks/pgd.h"
#include "avr/attacks/square.h"
#include "avr/core/runtime.h"
#include "avr/core/timer.h"
#include "avr/eval/defended_model.h"
#include "avr/models/av_model.h"
#include "bench_timing.h"
#include "model_flops.h"

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

// PGD-10 throughput of the evaluation's objective at one input size (see the top).
void pgd_throughput(int64_t B, int64_t S, int64_t L, double gemm_peak) {
  avr::ModelConfig cfg;
  cfg.num_classes = 11;
  cfg.image_size = S;
  cfg.audio_length = L;
  avr::AvModel model(cfg);
  model->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const auto audio = torch::rand({B, L}, gen) * 2 - 1;
  const auto frames = torch::rand({B, 3, S, S}, gen);
  const auto y = torch::randint(cfg.num_classes, {B}, gen, torch::kInt64);
  avr::DefendedModel dm;
  dm.model = model;
  {
    torch::NoGradGuard ng;
    model->forward(audio, frames);  // warm-up: allocations, OpenMP pool
  }
  const bool paper = S >= 224;
  const double fa = avr_bench::audio_flops(L), fv = avr_bench::visual_flops(S);
  const double head = avr_bench::head_flops(model);
  for (Modality m : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = avr::ThreatModel::paper(m);
    avr::Pgd pgd;  // 10 steps
    auto run = [&] {
      // A fresh objective per run: its cache of the clean branch is part of the cost.
      pgd.run(avr::batch_objective(dm, audio, frames), audio, frames, y,
              threat);
    };
    // Paper size: one run (10 steps, seconds each); embedded: ≥ 2 runs and 2 s.
    const avr_bench::Timing tm = paper ? avr_bench::time_calls(run, 1, 0.0) : avr_bench::time_calls(run, 2, 2.0);
    double flops = 10 * 2 * head;  // per clip
    if (m == Modality::Audio) flops += 10 * 2 * fa + fv;
    if (m == Modality::Visual) flops += 10 * 2 * fv + fa;
    if (m == Modality::AudioVisual) flops += 10 * 2 * (fa + fv);
    const double gflops = flops * B / tm.wall / 1e9;
    const int label_cols = m == Modality::AudioVisual ? 3 : 2;  // ✗ is one column, three bytes
    std::printf("%s%*s %4lld %7lld %5lld %5d %8.3f %8.3f %8.2f %10.2f %8.1f %7.1f%%\n", avr::paper_label(m).c_str(),
                4 - label_cols, "", (long long)S, (long long)L, (long long)B, tm.reps, tm.wall, tm.cpu, B / tm.wall, flops / 1e9,
                gflops, 100 * gflops / gemm_peak);
  }
}

// Square at the default profile's size (see the top).
void square_throughput(int64_t B, int n_queries) {
  const int64_t S = 48, L = 8192;
  avr::ModelConfig cfg;
  cfg.num_classes = 11;
  cfg.image_size = S;
  cfg.audio_length = L;
  avr::AvModel model(cfg);
  model->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto audio = torch::rand({B, L}, gen) * 2 - 1;
  const auto frames = torch::rand({B, 3, S, S}, gen);
  avr::DefendedModel dm;
  dm.model = model;
  torch::Tensor y;
  {
    torch::NoGradGuard ng;
    y = model->forward(audio, frames).argmax(1);  // also the warm-up
  }
  std::printf("\nSquare, Concat %lldx%lld px, %lld samples, batch %lld, %d threads\n", (long long)S, (long long)S,
              (long long)L, (long long)B, at::get_num_threads());
  std::printf("one query (forward only): whole batch, unattacked branch cached | k clips as rows, cached | "
              "k clips without rows, recomputed\n");
  std::printf("%-4s %10s %18s %18s %18s %18s\n", "", "ms batch", "rows B/2 (ratio)", "rows B/4 (ratio)",
              "no rows B/2", "no rows B/4");
  for (Modality m : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = avr::ThreatModel::paper(m);
    const auto pa = threat.attacks_audio() ? (audio + 0.01).clamp(-1, 1) : audio;
    const auto pv = threat.attacks_visual() ? (frames + 0.01).clamp(0, 1) : frames;
    const auto objective = avr::batch_objective(dm, audio, frames);
    torch::NoGradGuard ng;
    objective(audio, frames, y);  // fills the clean-branch cache, as Square's clean check does
    const double whole = avr_bench::time_calls([&] { objective(pa, pv, y); }, 3, 1.0).wall;
    double sub[2][2];  // [named rows?][k = B/2, B/4]
    for (int named = 0; named < 2; ++named)
      for (int j = 0; j < 2; ++j) {
        const auto idx = torch::arange(B / (2 << j));
        const auto rows = named ? idx : torch::Tensor();
        sub[named][j] = avr_bench::time_calls(
                            [&] {
                              objective(pa.index_select(0, idx), pv.index_select(0, idx), y.index_select(0, idx),
                                        rows);
                            },
                            3, 1.0)
                            .wall;
      }
    const int label_cols = m == Modality::AudioVisual ? 3 : 2;
    std::printf("%s%*s %10.1f %10.1f (%4.2f) %10.1f (%4.2f) %10.1f (%4.2f) %10.1f (%4.2f)\n",
                avr::paper_label(m).c_str(), 4 - label_cols, "", 1e3 * whole, 1e3 * sub[1][0], sub[1][0] / whole,
                1e3 * sub[1][1], sub[1][1] / whole, 1e3 * sub[0][0], sub[0][0] / whole, 1e3 * sub[0][1],
                sub[0][1] / whole);
  }
  std::printf("Square, %d proposals per clip\n%-4s %6s %11s %8s %8s %13s %7s\n", n_queries, "", "calls",
              "clip-queries", "s", "calls/s", "clip-queries/s", "fooled");
  for (Modality m : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = avr::ThreatModel::paper(m);
    int64_t rows = 0;
    // A fresh objective per run: its cache of the clean branch is part of the cost.
    const auto objective = avr::batch_objective(dm, audio, frames);
    const avr::ObjectiveFn counted = [&](const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor& labels,
                                         const torch::Tensor& batch_rows) {
      rows += labels.size(0);
      return objective(a, v, labels, batch_rows);
    };
    avr::Square square({n_queries, 0.8, 0});
    avr::Timer t;
    const auto r = square.run(counted, audio, frames, y, threat);
    const double sec = t.seconds();
    torch::NoGradGuard ng;
    const double fooled = model->forward(r.audio, r.frames).argmax(1).ne(y).to(torch::kFloat64).mean().item<double>();
    const int label_cols = m == Modality::AudioVisual ? 3 : 2;
    std::printf("%s%*s %6lld %11lld %8.2f %8.1f %13.1f %6.1f%%\n", avr::paper_label(m).c_str(), 4 - label_cols, "",
                (long long)r.queries, (long long)rows, sec, r.queries / sec, rows / sec, 100 * fooled);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "square") == 0) {
    const int64_t B = argc > 2 ? std::atoll(argv[2]) : 32;
    const int n = argc > 3 ? std::atoi(argv[3]) : 200;
    avr::configure_allocator();
    if (argc > 4 && std::atoi(argv[4]) > 0) at::set_num_threads(std::atoi(argv[4]));
    square_throughput(B, n);
    return 0;
  }
  const int64_t B = argc > 1 ? std::atoll(argv[1]) : 4;
  const int64_t S = argc > 2 ? std::atoll(argv[2]) : 224;
  const int64_t L = argc > 3 ? std::atoll(argv[3]) : 65535;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  const int64_t embedded_batch = argc > 5 ? std::atoll(argv[5]) : 32;
  avr::configure_allocator();
  if (threads > 0) at::set_num_threads(threads);
  const double gemm_peak = avr_bench::gemm_peak_gflops();

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

  std::printf("\nPGD-10, input grads + cached clean branch (avr::batch_objective); GEMM peak (float32 "
              "torch::mm 1024x1024x1024, best of 5) %.1f GFLOP/s\n",
              gemm_peak);
  std::printf("%-4s %4s %7s %5s %5s %8s %8s %8s %10s %8s %8s\n", "", "px", "samples", "batch", "runs", "s/run",
              "cpu-s", "clips/s", "GFLOP/clip", "GFLOP/s", "of peak");
  pgd_throughput(B, 224, 65535, gemm_peak);
  pgd_throughput(embedded_batch, 48, 8192, gemm_peak);
  square_throughput(embedded_batch, argc > 6 ? std::atoi(argv[6]) : 200);
  return 0;
}
