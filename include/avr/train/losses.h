// Training objectives (paper Sec. 3.3, "Learning discriminative and compact
// unimodal embeddings"):
//   ce      L = CE(logits, y)
//   minsim  L = CE + cos(f_a, f_v)          (push the modalities apart)
//   maxsim  L = CE + 1 − cos(f_a, f_v)      (pull them together)
//   pcl     L = CE + Σ_m [ w_p·L_prox(f_m) − w_c·L_conprox(f_m) ],  m ∈ {a, v}
// PCL is the prototype conformity loss of Mustafa et al. (ICCV 2019, eq. 5),
// in the form of its authors' code: with learned class centers c_j,
//   L_prox(f)    = 1/B Σ_i ‖f_i − c_{y_i}‖²               (pull to own center)
//   L_conprox(f) = 1/B Σ_i Σ_{j≠y_i} ‖f_i − c'_j‖²        (push from the others)
// each distance clamped to [1e-12, 1e12]; the two center sets are separate
// parameters with their own SGD learning rates (lr_prox, lr_conprox).
// The adversarial-training losses at-fgsm-rs | at-pgd | trades
// (avr/train/adversarial_training.h) are kinds too; per sample (what the
// evaluation's attacker maximizes) they are the CE.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/models/av_model.h"

namespace avr {

// What a model is trained with, named as in JSON, checkpoints and flags.
enum class LossKind {
  CrossEntropy,  // "ce"
  MinSim,        // "minsim": CE + cos(f_a, f_v), the paper's defense (Sec. 3.3.1)
  MaxSim,        // "maxsim": CE + 1 − cos(f_a, f_v)
  Pcl,           // "pcl": CE + prototype conformity (Mustafa et al. 2019)
  // Adversarial training (adversarial_training.h): "at-fgsm-rs" (Wong et al. 2020),
  // "at-pgd" (Madry et al. 2018), "trades" (Zhang et al. 2019).
  AtFgsmRs,
  AtPgd,
  Trades,
};
std::string to_string(LossKind kind);
// The kind of that name; an avr::Error listing the names otherwise.
LossKind parse_loss(const std::string& name);
std::ostream& operator<<(std::ostream& os, LossKind kind);  // its name, for messages
void to_json(nlohmann::json& j, LossKind kind);
void from_json(const nlohmann::json& j, LossKind& kind);
// at-fgsm-rs, at-pgd and trades.
bool is_adversarial_loss(LossKind kind);
const std::vector<LossKind>& adversarial_losses();

struct LossSettings {
  LossKind kind = LossKind::CrossEntropy;
  double pcl_weight_prox = 1.0;
  double pcl_weight_conprox = 1e-4;
  double pcl_lr_prox = 0.1;     // Mustafa et al.'s defaults (ORIGINAL.md)
  double pcl_lr_conprox = 1e-4;
  void validate() const;
};
void to_json(nlohmann::json& j, const LossSettings& s);
void from_json(const nlohmann::json& j, LossSettings& s);

// Per-sample loss [B] (what an attacker maximizes): the CE for ce, pcl (its center
// terms are not per sample) and the adversarial-training kinds (attacked through the CE,
// as in their papers); minsim and maxsim add their similarity terms, which need both
// features.
torch::Tensor per_sample_loss(LossKind kind, const torch::Tensor& logits,
                              const Features& features, const torch::Tensor& labels);

// Learned class centers of PCL for one modality (two sets, see above).
class PclCentersImpl : public torch::nn::Module {
 public:
  PclCentersImpl(int64_t num_classes, int64_t dim, uint64_t seed);
  torch::Tensor prox(const torch::Tensor& f, const torch::Tensor& labels) const;
  torch::Tensor conprox(const torch::Tensor& f, const torch::Tensor& labels) const;
  torch::Tensor centers, con_centers;  // [C, dim]
};
TORCH_MODULE(PclCenters);

}  // namespace avr
