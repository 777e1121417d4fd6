#include "avr/attacks/attack.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/attacks/apgd.h"
#include "avr/attacks/apgd_targeted.h"
#include "avr/attacks/auto_attack.h"
#include "avr/attacks/fgsm.h"
#include "avr/attacks/mim.h"
#include "avr/attacks/mim_original.h"
#include "avr/attacks/pgd.h"
#include "avr/attacks/square.h"
#include "avr/core/error.h"

namespace avr {
namespace {

void check_in_range(const torch::Tensor& x, double lo, double hi, const char* what) {
  const double mn = x.min().item<double>(), mx = x.max().item<double>();
  AVR_CHECK(mn >= lo && mx <= hi, "attack: clean ", what, " has values in [", mn, ", ", mx,
            "], outside the valid range [", lo, ", ", hi,
            "]; attacks take raw inputs (waveform in [-1,1], pixels in [0,1], not normalized) "
            "and keep them in range");
}

}  // namespace

AttackResult Attack::run(const ObjectiveFn& objective, const torch::Tensor& audio, const torch::Tensor& frames,
                         const torch::Tensor& labels, const ThreatModel& threat) {
  threat.validate();
  AVR_CHECK(objective, name(), ": empty objective function");
  AVR_CHECK(labels.defined() && labels.dim() == 1 && labels.scalar_type() == torch::kInt64,
            name(), ": labels must be an int64 tensor of shape [B]");
  const int64_t B = labels.size(0);
  AVR_CHECK(audio.defined() && audio.dim() >= 2 && audio.size(0) == B && audio.is_floating_point(), name(),
            ": audio must be a floating tensor [B, L] or [B, 1, L] with B = ", B, " (labels); got ",
            audio.defined() ? audio.sizes() : c10::IntArrayRef{});
  AVR_CHECK(frames.defined() && frames.dim() == 4 && frames.size(0) == B && frames.size(1) == 3 &&
                frames.is_floating_point(),
            name(), ": frames must be a floating tensor [B, 3, H, W] with B = ", B, "; got ",
            frames.defined() ? frames.sizes() : c10::IntArrayRef{});

  detail::AttackProblem p;
  p.threat = threat;
  p.labels = labels;
  if (clip_keys_.empty()) {
    for (int64_t i = 0; i < B; ++i) p.keys.push_back((runs_ << 32) + static_cast<uint64_t>(i));
  } else {
    AVR_CHECK(static_cast<int64_t>(clip_keys_.size()) == B, name(), ": ", clip_keys_.size(),
              " random-stream keys set for a batch of ", B, " clips");
    p.keys = std::move(clip_keys_);
    clip_keys_.clear();
  }
  ++runs_;
  const bool attack_a = threat.attacks_audio() && threat.eps_a > 0;
  const bool attack_v = threat.attacks_visual() && threat.eps_v > 0;
  if (attack_a) check_in_range(audio, -1.0, 1.0, "audio");
  if (attack_v) check_in_range(frames, 0.0, 1.0, "frames");
  p.audio.init("audio", audio, torch::tensor(threat.eps_a, torch::kFloat64), torch::tensor(1.0, torch::kFloat64), -1.0,
               1.0, attack_a);
  std::vector<double> eps_v(3), scale_v(3);
  for (int c = 0; c < 3; ++c) {
    eps_v[c] = threat.pixel_eps_v(c);
    scale_v[c] = threat.visual_scale(c);
  }
  p.visual.init("visual", frames, torch::tensor(eps_v, torch::kFloat64).view({1, 3, 1, 1}),
                torch::tensor(scale_v, torch::kFloat64).view({1, 3, 1, 1}), 0.0, 1.0, attack_v);
  if (!attack_a && !attack_v) return {audio, frames, 0};

  AttackResult r = perturb(objective, p);
  AVR_ASSERT(attack_a || r.audio.is_same(audio), name(), " modified the unattacked audio");
  AVR_ASSERT(attack_v || r.frames.is_same(frames), name(), " modified the unattacked frames");
  if (attack_a) r.audio = r.audio.detach();
  if (attack_v) r.frames = r.frames.detach();
  return r;
}

std::unique_ptr<Attack> make_attack(const std::string& name, const nlohmann::json& settings) {
  if (name == "fgsm") return std::make_unique<Fgsm>(settings.get<FgsmSettings>());
  if (name == "pgd") return std::make_unique<Pgd>(settings.get<PgdSettings>());
  if (name == "mim") return std::make_unique<Mim>(settings.get<MimSettings>());
  if (name == "apgd") return std::make_unique<Apgd>(settings.get<ApgdSettings>());
  if (name == "apgd-t") return std::make_unique<ApgdTargeted>(settings.get<ApgdTargetedSettings>());
  if (name == "autoattack") return std::make_unique<AutoAttack>(settings.get<AutoAttackSettings>());
  if (name == "square") return std::make_unique<Square>(settings.get<SquareSettings>());
  if (name == "mim_original") return std::make_unique<MimOriginal>(settings.get<MimOriginalSettings>());
  AVR_FAIL("unknown attack '", name,
           "': use fgsm, pgd, mim, apgd, apgd-t, autoattack, square, or mim_original (the released code's flawed MIM, only to "
           "explain the paper's MIM numbers)");
}

uint64_t clip_stream_key(int64_t clip_index, Modality modality) {
  AVR_CHECK(clip_index >= 0, "clip index must be >= 0, got ", clip_index);
  return static_cast<uint64_t>(clip_index) * 4 + static_cast<uint64_t>(modality);
}

std::vector<uint64_t> clip_stream_keys(const torch::Tensor& clip_indices, Modality modality) {
  AVR_CHECK(clip_indices.defined() && clip_indices.dim() == 1 && clip_indices.scalar_type() == torch::kInt64,
            "clip indices must be an int64 tensor [B]");
  const auto idx = clip_indices.to(torch::kCPU).contiguous();
  std::vector<uint64_t> keys;
  keys.reserve(static_cast<size_t>(idx.size(0)));
  for (int64_t i = 0; i < idx.size(0); ++i) keys.push_back(clip_stream_key(idx.data_ptr<int64_t>()[i], modality));
  return keys;
}

AttackResult Attack::run_on_clips(const ObjectiveFn& objective, const torch::Tensor& clip_indices,
                                  const torch::Tensor& audio, const torch::Tensor& frames,
                                  const torch::Tensor& labels, const ThreatModel& threat) {
  set_clip_keys(clip_stream_keys(clip_indices, threat.modality));
  return run(objective, audio, frames, labels, threat);
}

std::unique_ptr<Attack> make_seeded_attack(const std::string& name, nlohmann::json settings, uint64_t seed) {
  if (!settings.contains("seed") && make_attack(name)->settings_json().contains("seed")) settings["seed"] = seed;
  return make_attack(name, settings);
}

std::vector<std::string> attack_names() { return {"fgsm", "pgd", "mim", "apgd", "apgd-t", "autoattack", "square", "mim_original"}; }

}  // namespace avr
