#include "avr/train/losses.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/core/enum_names.h"
#include "avr/core/rng.h"

#include <algorithm>
#include <ostream>

namespace avr {
namespace {

constexpr EnumNames<LossKind, 7> kLossNames{"loss",
                                             {{{LossKind::CrossEntropy, "ce"},
                                               {LossKind::MinSim, "minsim"},
                                               {LossKind::MaxSim, "maxsim"},
                                               {LossKind::Pcl, "pcl"},
                                               {LossKind::AtFgsmRs, "at-fgsm-rs"},
                                               {LossKind::AtPgd, "at-pgd"},
                                               {LossKind::Trades, "trades"}}}};

}  // namespace

std::string to_string(LossKind kind) { return kLossNames.name(kind); }

LossKind parse_loss(const std::string& name) { return kLossNames.parse(name); }

std::ostream& operator<<(std::ostream& os, LossKind kind) { return os << to_string(kind); }

void to_json(nlohmann::json& j, LossKind kind) { j = to_string(kind); }

void from_json(const nlohmann::json& j, LossKind& kind) {
  kind = kLossNames.from_json(j);
}

const std::vector<LossKind>& adversarial_losses() {
  static const std::vector<LossKind> kinds = {LossKind::AtFgsmRs, LossKind::AtPgd, LossKind::Trades};
  return kinds;
}

bool is_adversarial_loss(LossKind kind) {
  const auto& kinds = adversarial_losses();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

void LossSettings::validate() const {
  // > 0, not ≥ 0: the centers' gradients are divided by the weights (their own rates).
  AVR_CHECK(pcl_weight_prox > 0 && pcl_weight_conprox > 0 && pcl_lr_prox > 0 &&
                pcl_lr_conprox > 0,
            "PCL weights and learning rates must be > 0 (got weights ", pcl_weight_prox, ", ",
            pcl_weight_conprox, ", rates ", pcl_lr_prox, ", ", pcl_lr_conprox, ")");
}

void to_json(nlohmann::json& j, const LossSettings& s) {
  j = {{"kind", s.kind},
       {"pcl_weight_prox", s.pcl_weight_prox},
       {"pcl_weight_conprox", s.pcl_weight_conprox},
       {"pcl_lr_prox", s.pcl_lr_prox},
       {"pcl_lr_conprox", s.pcl_lr_conprox}};
}

void from_json(const nlohmann::json& j, LossSettings& s) {
  JsonFields f(j, "loss settings");
  f.read("kind", s.kind);
  f.read("pcl_weight_prox", s.pcl_weight_prox);
  f.read("pcl_weight_conprox", s.pcl_weight_conprox);
  f.read("pcl_lr_prox", s.pcl_lr_prox);
  f.read("pcl_lr_conprox", s.pcl_lr_conprox);
  f.finish();
}

torch::Tensor per_sample_loss(LossKind kind, const torch::Tensor& logits, const Features& f,
                              const torch::Tensor& labels) {
  namespace F = torch::nn::functional;
  auto ce = F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  if (kind != LossKind::MinSim && kind != LossKind::MaxSim) return ce;
  AVR_CHECK(f.audio.defined() && f.visual.defined(), "loss '", kind,
            "' needs both an audio and a visual feature: use it with an audio-visual model");
  auto cos = F::cosine_similarity(f.audio, f.visual, F::CosineSimilarityFuncOptions().dim(1).eps(1e-8));
  return kind == LossKind::MinSim ? ce + cos : ce + (1 - cos);
}

PclCentersImpl::PclCentersImpl(int64_t num_classes, int64_t dim, uint64_t seed) {
  // N(0,1) centers as in Mustafa et al.'s code, drawn from our own generator.
  auto draw = [&](const char* name) {
    Rng rng = Rng(seed).fork(name);
    auto t = torch::empty({num_classes, dim});
    auto* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(rng.normal());
    return t;
  };
  centers = register_parameter("centers", draw("pcl/centers"));
  con_centers = register_parameter("con_centers", draw("pcl/con_centers"));
}

namespace {
// ‖f_i − c_j‖² for all i, j: [B, C], clamped as the reference implementation.
torch::Tensor squared_distances(const torch::Tensor& f, const torch::Tensor& c) {
  auto d = f.pow(2).sum(1, true) + c.pow(2).sum(1).unsqueeze(0) - 2 * f.matmul(c.t());
  return d.clamp(1e-12, 1e12);
}
}  // namespace

torch::Tensor PclCentersImpl::prox(const torch::Tensor& f, const torch::Tensor& labels) const {
  auto d = squared_distances(f, centers);
  return d.gather(1, labels.unsqueeze(1)).sum() / f.size(0);
}

torch::Tensor PclCentersImpl::conprox(const torch::Tensor& f, const torch::Tensor& labels) const {
  auto d = squared_distances(f, con_centers);
  auto own = torch::one_hot(labels, con_centers.size(0)).to(torch::kBool);
  return d.masked_fill(own, 0).sum() / f.size(0);
}

}  // namespace avr
