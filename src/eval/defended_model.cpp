#include "avr/eval/defended_model.h"

#include <torch/torch.h>

#include "avr/train/losses.h"

namespace avr {

Features DefendedModel::defend(Features f, ExFMemGradient gradient) const {
  if (!exfmem) return f;
  const auto& s = exfmem->settings();
  if (f.audio.defined())
    f.audio = avr::exfmem(exfmem->audio_dictionary(), f.audio, s.mix, s.audio, gradient,
                          s.unrolled_iterations);
  if (f.visual.defined())
    f.visual = avr::exfmem(exfmem->visual_dictionary(), f.visual, s.mix, s.visual, gradient,
                           s.unrolled_iterations);
  return f;
}

torch::Tensor DefendedModel::logits(const torch::Tensor& audio, const torch::Tensor& frames) const {
  AvModel net = model;  // the holder's operator-> is const-only; the module is not
  return net->classify(defend(net->encode(audio, frames), ExFMemGradient::kNone));
}

DefendedModel::CleanBatch DefendedModel::defend_clean(const torch::Tensor& audio,
                                                      const torch::Tensor& frames) const {
  AvModel net = model;
  return {audio, frames, defend(net->encode(audio, frames), ExFMemGradient::kNone)};
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean) const {
  AvModel net = model;
  return net->classify(clean.defended);
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean, const torch::Tensor& adv_audio,
                                    const torch::Tensor& adv_frames) const {
  AvModel net = model;
  if (net->visual_needs_audio()) return logits(adv_audio, adv_frames);
  auto unchanged = [](const torch::Tensor& adv, const torch::Tensor& x) {
    return adv.is_same(x) || torch::equal(adv, x);
  };
  const bool same_audio = net->has_audio() && unchanged(adv_audio, clean.audio);
  const bool same_frames = net->has_visual() && unchanged(adv_frames, clean.frames);
  Features f;
  if (net->has_audio() && !same_audio) f.audio = net->encode_audio(adv_audio);
  if (net->has_visual() && !same_frames) f.visual = net->encode_visual(adv_frames);
  f = defend(f, ExFMemGradient::kNone);
  if (same_audio) f.audio = clean.defended.audio;
  if (same_frames) f.visual = clean.defended.visual;
  return net->classify(f);
}

ObjectiveFn batch_objective(const DefendedModel& m, const torch::Tensor& clean_audio,
                            const torch::Tensor& clean_frames, bool through_defense,
                            ExFMemGradient gradient) {
  // Clean features of each branch, computed lazily once and reused whenever
  // the attack hands back that modality's clean tensor (the localizer's visual
  // feature depends on the audio, so it is never cached).
  struct Cache {
    torch::Tensor audio, visual;
  };
  auto cache = std::make_shared<Cache>();
  const std::string loss_kind = m.loss == "pcl" ? "ce" : m.loss;
  return [=](const torch::Tensor& audio, const torch::Tensor& frames,
             const torch::Tensor& labels) -> Objective {
    AvModel model = m.model;
    Features f;
    const bool audio_clean = audio.is_same(clean_audio), frames_clean = frames.is_same(clean_frames);
    if (model->visual_needs_audio()) {
      f = model->encode(audio, frames);
    } else {
      if (model->has_audio()) {
        if (audio_clean) {
          if (!cache->audio.defined()) {
            torch::NoGradGuard ng;
            cache->audio = model->encode_audio(audio);
          }
          f.audio = cache->audio;
        } else {
          f.audio = model->encode_audio(audio);
        }
      }
      if (model->has_visual()) {
        if (frames_clean) {
          if (!cache->visual.defined()) {
            torch::NoGradGuard ng;
            cache->visual = model->encode_visual(frames);
          }
          f.visual = cache->visual;
        } else {
          f.visual = model->encode_visual(frames);
        }
      }
    }
    if (through_defense) f = m.defend(f, gradient);
    auto logits = model->classify(f);
    return {per_sample_loss(loss_kind, logits, f, labels), logits};
  };
}

}  // namespace avr
