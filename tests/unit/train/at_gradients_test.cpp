// The attack inside adversarial training takes gradients w.r.t. the inputs
// only: the parameters' .grad is exactly what it was before the attack, the
// batch loss's parameter gradient is that of the loss at the adversarial inputs
// alone, and BatchNorm's running statistics see only the training pass.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/train/adversarial_training.h"

namespace avr {
namespace {

ModelConfig tiny_av() {
  ModelConfig c;
  c.kind = ModelKind::AudioVisual;
  c.fusion = FusionKind::Concat;
  c.num_classes = 3;
  c.image_size = 32;
  c.audio_length = 4096;
  c.seed = 5;
  return c;
}

struct Inputs {
  torch::Tensor audio, frames, labels, indices;
};

Inputs make_inputs() {
  torch::manual_seed(0);
  return {torch::rand({4, 4096}) * 1.6 - 0.8, torch::rand({4, 3, 32, 32}) * 0.8 + 0.1,
          torch::tensor({0, 1, 2, 0}, torch::kInt64), torch::tensor({10, 11, 12, 13}, torch::kInt64)};
}

AdversarialTrainingSettings settings() {
  AdversarialTrainingSettings s;
  s.threat = ThreatModel::single_eps(Modality::AudioVisual, 0.05);
  s.steps = 3;
  return s;
}

std::vector<torch::Tensor> grads(AvModel m) {
  std::vector<torch::Tensor> g;
  for (const auto& p : m->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  return g;
}

}  // namespace

TEST(AtGradients, TheAttackLeavesParameterGradientsAlone) {
  const auto in = make_inputs();
  for (const LossKind kind : adversarial_losses()) {
    AvModel model(tiny_av());
    model->train();
    // Known values in every .grad, as if a previous backward had left them.
    int i = 0;
    for (auto& p : model->parameters()) p.mutable_grad() = torch::full_like(p, 0.25 * (++i % 7));
    const auto before = grads(model);
    const auto b = adversarial_batch(model, kind, settings(), in.audio, in.frames, in.labels, in.indices, 1);
    EXPECT_TRUE(model->is_training()) << kind;
    EXPECT_EQ(b.gradient_evals, kind == LossKind::AtFgsmRs ? 1 : 3) << kind;
    const auto after = grads(model);
    ASSERT_EQ(before.size(), after.size());
    for (size_t k = 0; k < before.size(); ++k) EXPECT_TRUE(torch::equal(before[k], after[k])) << kind << " " << k;
    // The attack moved the inputs, inside the budget.
    EXPECT_GT((b.audio - in.audio).abs().max().item<double>(), 0.01) << kind;
    EXPECT_LE((b.audio - in.audio).abs().max().item<double>(), 0.05 + 1e-6) << kind;
    EXPECT_LE((b.frames - in.frames).abs().max().item<double>(), 0.05 + 1e-6) << kind;
    EXPECT_FALSE(b.audio.requires_grad()) << kind;
  }
}

TEST(AtGradients, TheLossGradientIsThatOfTheLossAtTheAdversarialInputs) {
  const auto in = make_inputs();
  AvModel model(tiny_av());
  model->train();
  const auto b = adversarial_batch(model, LossKind::AtPgd, settings(), in.audio, in.frames, in.labels, in.indices, 1);
  model->zero_grad();
  b.loss.backward();
  const auto g_at = grads(model);
  model->zero_grad();
  torch::nn::functional::cross_entropy(model->forward(b.audio, b.frames), in.labels).backward();
  const auto g_direct = grads(model);
  for (size_t k = 0; k < g_at.size(); ++k) {
    ASSERT_TRUE(g_at[k].defined()) << k;
    EXPECT_TRUE(torch::allclose(g_at[k], g_direct[k], 1e-5, 1e-6)) << k;
  }
}

TEST(AtGradients, BatchNormStatisticsSeeOnlyTheTrainingPass) {
  // The attack runs in eval mode: after one FGSM-RS batch the running statistics
  // equal those of a twin model that ran one train-mode pass on the same inputs.
  const auto in = make_inputs();
  AvModel model(tiny_av()), twin(tiny_av());
  model->train();
  twin->train();
  const auto b = adversarial_batch(model, LossKind::AtFgsmRs, settings(), in.audio, in.frames, in.labels, in.indices, 1);
  {
    torch::NoGradGuard no_grad;
    twin->forward(b.audio, b.frames);
  }
  const auto mb = model->buffers(), tb = twin->buffers();
  ASSERT_EQ(mb.size(), tb.size());
  ASSERT_FALSE(mb.empty());
  for (size_t k = 0; k < mb.size(); ++k) EXPECT_TRUE(torch::equal(mb[k], tb[k])) << k;
}

}  // namespace avr
