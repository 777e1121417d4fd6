// mim_original reproduces the released code's MIM — checked against a literal
// transcription of that code — and leaves the eps ball, which is why it is only
// a compatibility option.
#include "avr/attacks/mim_original.h"

#include <gtest/gtest.h>

#include "avr/attacks/perturbation_stats.h"
#include "avr/models/visual_net.h"
#include "toy_models.h"

namespace avr {
namespace {

using test::Batch;

constexpr int64_t kB = 4, kL = 32, kH = 6, kC = 5;

// main_attack.py's MIM loop transcribed (frames stepped in ImageNet-normalized
// space z, momentum on ∇_z / ‖∇_z‖₁ of the whole batch, the self-referencing
// clamp, then unnormalize → clamp [0,1] → renormalize).
std::pair<torch::Tensor, torch::Tensor> released_code_mim(const test::Mlp& model, const Batch& b, double eps_v,
                                                          double eps_a) {
  const auto mean = torch::tensor({0.485, 0.456, 0.406}, torch::kFloat64).view({1, 3, 1, 1});
  const auto std = torch::tensor({0.229, 0.224, 0.225}, torch::kFloat64).view({1, 3, 1, 1});
  auto frame_adv = (b.frames - mean) / std;
  auto audio_adv = b.audio.clone();
  auto momentum_v = torch::zeros_like(frame_adv), momentum_a = torch::zeros_like(audio_adv);
  const double alpha_v = eps_v / 8, alpha_a = eps_a / 8;
  for (int t = 0; t < 10; ++t) {
    frame_adv = frame_adv.detach().requires_grad_(true);
    audio_adv = audio_adv.detach().requires_grad_(true);
    auto logits = model.logits(audio_adv, frame_adv * std + mean);
    auto err = torch::nn::functional::cross_entropy(logits, b.labels);
    auto grads = torch::autograd::grad({err}, {frame_adv, audio_adv});
    torch::NoGradGuard no_grad;
    auto grad = grads[0] / torch::norm(grads[0], 1);
    grad = grad + momentum_v * 1.0;
    momentum_v = grad;
    auto f = frame_adv.detach() + alpha_v * torch::sign(grad);
    auto a = torch::clamp(f - eps_v, 0);
    auto bb = (f >= a).to(f.dtype()) * f + (a > f).to(f.dtype()) * a;
    auto c = (bb > f + eps_v).to(f.dtype()) * (f + eps_v) + (f + eps_v >= bb).to(f.dtype()) * bb;
    frame_adv = ((torch::clamp(c * std + mean, 0, 1)) - mean) / std;

    grad = grads[1] / torch::norm(grads[1], 1);
    grad = grad + momentum_a * 1.0;
    momentum_a = grad;
    auto x = audio_adv.detach() + alpha_a * torch::sign(grad);
    a = torch::clamp(x - eps_a, -1);
    bb = (x >= a).to(x.dtype()) * x + (a > x).to(x.dtype()) * a;
    c = (bb > x + eps_a).to(x.dtype()) * (x + eps_a) + (x + eps_a >= bb).to(x.dtype()) * bb;
    audio_adv = torch::clamp(c, -1, 1);
  }
  return {torch::clamp(frame_adv * std + mean, 0, 1).detach(), audio_adv.detach()};
}

test::Mlp double_mlp(uint64_t seed) {
  test::Mlp m(seed, kL, kH, kC);
  for (auto* w : {&m.wa, &m.wv, &m.w2, &m.b2}) *w = w->to(torch::kFloat64);
  return m;
}

Batch double_batch(uint64_t seed) {
  Batch b = test::make_batch(seed, kB, kL, kH, kC);
  b.audio = b.audio.to(torch::kFloat64);
  b.frames = b.frames.to(torch::kFloat64);
  return b;
}

TEST(MimOriginal, MatchesATranscriptionOfTheReleasedCode) {
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const auto model = double_mlp(seed);
    const auto b = double_batch(seed + 50);
    const auto [want_frames, want_audio] = released_code_mim(model, b, 0.006, 0.006);
    const auto threat = ThreatModel::paper(Modality::AudioVisual, EpsSpace::Normalized);
    const auto r = MimOriginal().run(model.objective(), b.audio, b.frames, b.labels, threat);
    EXPECT_TRUE(torch::allclose(r.frames, want_frames, 0, 1e-9))
        << (r.frames - want_frames).abs().max().item<double>();
    EXPECT_TRUE(torch::allclose(r.audio, want_audio, 0, 1e-9)) << (r.audio - want_audio).abs().max().item<double>();
  }
}

TEST(MimOriginal, LeavesTheEpsBallWhereMimStaysInside) {
  const auto model = double_mlp(7);
  const auto b = double_batch(8);
  const double eps = 0.012;
  // Normalized space, ✗V: frames darker than the channel mean are raised by up
  // to eps per step, far past the budget.
  const auto tv = ThreatModel::paper(Modality::Visual, EpsSpace::Normalized);
  const auto rv = MimOriginal().run(model.objective(), b.audio, b.frames, b.labels, tv);
  const double budget_v = eps * kImageNetStd[0];
  const double orig_v = modality_perturbation(b.frames, rv.frames).max_linf();
  EXPECT_GT(orig_v, 5 * budget_v);
  const auto mv = make_attack("mim")->run(model.objective(), b.audio, b.frames, b.labels, tv);
  EXPECT_LE(modality_perturbation(b.frames, mv.frames).max_linf(), eps * kImageNetStd[0] + 1e-9);

  // Audio: nothing projects, so 10 steps of eps/8 drift up to 1.25·eps.
  const auto ta = ThreatModel::paper(Modality::Audio);
  const auto ra = MimOriginal().run(model.objective(), b.audio, b.frames, b.labels, ta);
  const double orig_a = modality_perturbation(b.audio, ra.audio).max_linf();
  EXPECT_GT(orig_a, 1.1 * eps);
  EXPECT_LE(orig_a, 1.25 * eps + 1e-9);
  std::cout << "mim_original max L∞: frames " << orig_v / budget_v << "× budget, audio " << orig_a / eps
            << "× budget\n";
}

TEST(MimOriginal, ItsStepDependsOnTheOtherClipsInTheBatch) {
  // Clip 0 climbs a concave loss -(a - c)², c = x + 0.3·eps, and overshoots the
  // top on its 3rd step of eps/8. Clip 1's loss is linear with slope s. With s
  // = 0 the batch-wide L1 norm is clip 0's own, each fresh gradient counts ±1
  // against the momentum, and clip 0 ends at x + 0.125·eps. With s = 1e6 the
  // norm is clip 1's constant slope, the momentum sums clip 0's raw gradients,
  // and it ends at x. Per-sample normalization (Mim) gives both runs one answer.
  const double eps = 0.012;
  const auto audio = torch::zeros({2, 1}, torch::kFloat64);
  const auto frames = torch::full({2, 3, 2, 2}, 0.5, torch::kFloat64);
  const auto labels = torch::zeros({2}, torch::kInt64);
  auto objective = [eps](double s) -> ObjectiveFn {
    return [eps, s](const torch::Tensor& a, const torch::Tensor&, const torch::Tensor&) {
      auto l0 = -(a[0][0] - 0.3 * eps).pow(2);
      auto l1 = s * a[1][0];
      auto loss = torch::stack({l0, l1});
      return Objective{loss, torch::zeros({2, 2}, torch::kFloat64)};
    };
  };
  const auto threat = ThreatModel::paper(Modality::Audio);
  const auto inert = MimOriginal().run(objective(0.0), audio, frames, labels, threat);
  const auto steep = MimOriginal().run(objective(1e6), audio, frames, labels, threat);
  EXPECT_NEAR(inert.audio[0][0].item<double>(), 0.125 * eps, 1e-12);
  EXPECT_NEAR(steep.audio[0][0].item<double>(), 0.0, 1e-12);
  const auto mim_inert = make_attack("mim")->run(objective(0.0), audio, frames, labels, threat);
  const auto mim_steep = make_attack("mim")->run(objective(1e6), audio, frames, labels, threat);
  EXPECT_EQ(mim_inert.audio[0][0].item<double>(), mim_steep.audio[0][0].item<double>());
}

}  // namespace
}  // namespace avr
