#include "attack_problem.h"

#include <ATen/CPUGeneratorImpl.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"

namespace avr::detail {

void ModalityBox::init(std::string name_, const torch::Tensor& x, const torch::Tensor& eps_raw,
                       const torch::Tensor& scale_raw, double lo_, double hi_, bool is_active) {
  name = std::move(name_);
  clean = x;
  active = is_active;
  lo = lo_;
  hi = hi_;
  if (!active) return;
  eps = eps_raw.to(x.options());
  scale = scale_raw.to(x.options());
  torch::NoGradGuard no_grad;
  lower = (clean - eps).clamp_min(lo);
  upper = (clean + eps).clamp_max(hi);
}

torch::Tensor ModalityBox::uniform_noise(uint64_t seed, const std::string& attack,
                                         const std::vector<uint64_t>& keys) const {
  AVR_ASSERT(static_cast<int64_t>(keys.size()) == clean.size(0), "one random key per sample");
  const auto row_shape = clean.sizes().slice(1);
  std::vector<torch::Tensor> rows;
  rows.reserve(keys.size());
  for (uint64_t key : keys) {
    auto gen = make_generator(seed, attack, key, name);
    rows.push_back(torch::rand(row_shape, gen, torch::TensorOptions().dtype(torch::kFloat32)));
  }
  return (torch::stack(rows) * 2 - 1).to(clean.options());
}

torch::Tensor ModalityBox::uniform_start(uint64_t seed, const std::string& attack,
                                         const std::vector<uint64_t>& keys) const {
  return project(clean + eps * uniform_noise(seed, attack, keys));
}

torch::Tensor ModalityBox::per_sample(const torch::Tensor& v) const {
  std::vector<int64_t> shape(clean.dim(), 1);
  shape[0] = clean.size(0);
  return v.view(shape);
}

AttackProblem AttackProblem::subset(const torch::Tensor& rows) const {
  const auto idx = rows.to(labels.device(), torch::kInt64);
  const auto cpu = idx.to(torch::kCPU).contiguous();
  AttackProblem s;
  s.threat = threat;
  s.labels = labels.index_select(0, idx);
  s.batch_rows = objective_rows(idx);
  for (int64_t i = 0; i < cpu.numel(); ++i) s.keys.push_back(keys.at(static_cast<size_t>(cpu.data_ptr<int64_t>()[i])));
  auto box = [&](const ModalityBox& m) {
    ModalityBox b = m;
    b.clean = m.clean.index_select(0, idx.to(m.clean.device()));
    if (m.active) {
      b.lower = m.lower.index_select(0, idx.to(m.clean.device()));
      b.upper = m.upper.index_select(0, idx.to(m.clean.device()));
    }
    return b;
  };
  s.audio = box(audio);
  s.visual = box(visual);
  return s;
}

torch::Tensor AttackProblem::objective_rows(const torch::Tensor& rows) const {
  if (!rows.defined()) return batch_rows;
  const auto idx = rows.to(labels.device(), torch::kInt64);
  return batch_rows.defined() ? batch_rows.index_select(0, idx) : idx;
}

Evaluation evaluate(const ObjectiveFn& objective, const AttackProblem& p, const torch::Tensor& audio,
                    const torch::Tensor& frames) {
  torch::AutoGradMode grad_mode(true);
  // Fresh leaves for the attacked inputs only: autograd then computes input
  // gradients and nothing the attack does not need.
  const torch::Tensor a = p.audio.active ? audio.detach().requires_grad_(true) : p.audio.clean;
  const torch::Tensor v = p.visual.active ? frames.detach().requires_grad_(true) : p.visual.clean;
  Objective o = objective(a, v, p.labels, p.batch_rows);
  const int64_t B = p.labels.size(0);
  AVR_CHECK(o.loss.defined() && o.loss.dim() == 1 && o.loss.size(0) == B,
            "attack objective: loss must be per sample, shape [", B, "]; got ",
            o.loss.defined() ? o.loss.sizes() : c10::IntArrayRef{});
  AVR_CHECK(o.logits.defined() && o.logits.dim() == 2 && o.logits.size(0) == B,
            "attack objective: logits must have shape [", B, ", classes]; got ",
            o.logits.defined() ? o.logits.sizes() : c10::IntArrayRef{});
  std::vector<torch::Tensor> inputs;
  if (p.audio.active) inputs.push_back(a);
  if (p.visual.active) inputs.push_back(v);
  // A model may ignore an input (a unimodal network under the other modality's
  // attack): its gradient is then exactly zero and the input stays where it is.
  std::vector<torch::Tensor> grads(inputs.size());
  if (o.loss.requires_grad())
    grads = torch::autograd::grad({o.loss.sum()}, inputs, {}, /*retain_graph=*/false,
                                  /*create_graph=*/false, /*allow_unused=*/true);
  Evaluation e;
  e.loss = o.loss.detach();
  e.logits = o.logits.detach();
  size_t k = 0;
  if (p.audio.active) {
    e.grad_audio = grads[k].defined() ? grads[k] : torch::zeros_like(audio);
    ++k;
  }
  if (p.visual.active) e.grad_visual = grads[k].defined() ? grads[k] : torch::zeros_like(frames);
  return e;
}

at::Generator make_generator(uint64_t seed, const std::string& attack, uint64_t key, const std::string& what) {
  const uint64_t s = Rng(seed).fork(attack).fork(key).fork(what).next_u64();
  return at::make_generator<at::CPUGeneratorImpl>(s);
}

torch::Tensor per_sample_l1_normalize(const torch::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  auto n = x.abs().flatten(1).sum(1).view(shape);
  return x / torch::where(n > 0, n, torch::ones_like(n));
}

}  // namespace avr::detail
