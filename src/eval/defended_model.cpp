#include "avr/eval/defended_model.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/train/losses.h"

namespace avr {

namespace {

// A forward-only model has no classifier on features for ExFMem to feed.
void check_no_exfmem(const DefendedModel& m) {
  AVR_CHECK(!m.exfmem, "ExFMem cannot defend ", m.forward_model->describe(),
            ": it replaces f_a and f_v by their memory reconstructions before the classifier, and a "
            "model seen only through forward(audio, frames) has no classifier on features to take "
            "them; use an avr checkpoint");
}

// Row-count check for a warm start: one kept from another batch size is not this batch's.
torch::Tensor warm_for(const torch::Tensor& codes, const torch::Tensor& f) {
  if (!codes.defined() || !f.defined() || codes.size(0) != f.size(0)) return {};
  return codes;
}

// The objective of a forward-only model: the whole forward at every call (it cannot give
// one branch's feature, so nothing is cached), the loss on its logits and features.
ObjectiveFn forward_objective(const DefendedModel& m) {
  check_no_exfmem(m);
  const std::string loss_kind = m.loss == "pcl" ? "ce" : m.loss;
  AVR_CHECK(loss_kind == "ce" || m.forward_model->gives_features(), "loss '", loss_kind,
            "' needs f_a and f_v, and ", m.forward_model->describe(),
            " returns logits only: return (logits, f_a, f_v) from forward (docs/own_models.md) "
            "or attack with --loss ce");
  auto model = m.forward_model;
  return [model, loss_kind](const torch::Tensor& audio, const torch::Tensor& frames,
                            const torch::Tensor& labels) -> Objective {
    ForwardOutput out = model->forward(audio, frames);
    return {per_sample_loss(loss_kind, out.logits, out.features, labels), out.logits};
  };
}

}  // namespace

DefendedModel::Defended DefendedModel::defend_warm(Features f, ExFMemGradient gradient,
                                                   const Codes& warm) const {
  if (!exfmem) return {std::move(f), {}};
  const auto& s = exfmem->settings();
  Codes codes;
  if (f.audio.defined()) {
    ExFMemResult r = exfmem_warm(exfmem->audio_dictionary(), f.audio, s.mix, s.audio, gradient,
                                 s.unrolled_iterations, warm_for(warm.audio, f.audio));
    f.audio = r.feature;
    codes.audio = r.codes;
  }
  if (f.visual.defined()) {
    ExFMemResult r = exfmem_warm(exfmem->visual_dictionary(), f.visual, s.mix, s.visual, gradient,
                                 s.unrolled_iterations, warm_for(warm.visual, f.visual));
    f.visual = r.feature;
    codes.visual = r.codes;
  }
  return {std::move(f), codes};
}

Features DefendedModel::defend(Features f, ExFMemGradient gradient) const {
  return defend_warm(std::move(f), gradient, {}).features;
}

bool DefendedModel::has_audio() const {
  return forward_model ? forward_model->has_audio() : model->has_audio();
}

bool DefendedModel::has_visual() const {
  return forward_model ? forward_model->has_visual() : model->has_visual();
}

std::string DefendedModel::describe() const {
  if (forward_model) return forward_model->describe();
  const auto& c = model->config();
  return c.kind + (c.kind == "av" ? "/" + c.fusion : "");
}

torch::Tensor DefendedModel::logits(const torch::Tensor& audio, const torch::Tensor& frames) const {
  if (forward_model) {
    check_no_exfmem(*this);
    return forward_model->forward(audio, frames).logits;
  }
  AvModel net = model;  // the holder's operator-> is const-only; the module is not
  return net->classify(defend(net->encode(audio, frames), ExFMemGradient::kNone));
}

DefendedModel::CleanBatch DefendedModel::defend_clean(const torch::Tensor& audio,
                                                      const torch::Tensor& frames) const {
  if (forward_model) {
    check_no_exfmem(*this);
    ForwardOutput out = forward_model->forward(audio, frames);
    CleanBatch clean{audio, frames, std::move(out.features), {}, out.logits};
    return clean;
  }
  AvModel net = model;
  Defended d = defend_warm(net->encode(audio, frames), ExFMemGradient::kNone, {});
  return {audio, frames, std::move(d.features), std::move(d.codes), {}};
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean) const {
  if (forward_model) {
    AVR_ASSERT(clean.logits.defined(), "a clean batch of a forward-only model keeps its logits");
    return clean.logits;
  }
  AvModel net = model;
  return net->classify(clean.defended);
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean, const torch::Tensor& adv_audio,
                                    const torch::Tensor& adv_frames) const {
  if (forward_model) return logits(adv_audio, adv_frames);
  AvModel net = model;
  if (net->visual_needs_audio())
    return net->classify(
        defend_warm(net->encode(adv_audio, adv_frames), ExFMemGradient::kNone, clean.codes).features);
  auto unchanged = [](const torch::Tensor& adv, const torch::Tensor& x) {
    return adv.is_same(x) || torch::equal(adv, x);
  };
  const bool same_audio = net->has_audio() && unchanged(adv_audio, clean.audio);
  const bool same_frames = net->has_visual() && unchanged(adv_frames, clean.frames);
  Features f;
  if (net->has_audio() && !same_audio) f.audio = net->encode_audio(adv_audio);
  if (net->has_visual() && !same_frames) f.visual = net->encode_visual(adv_frames);
  f = defend_warm(f, ExFMemGradient::kNone, clean.codes).features;
  if (same_audio) f.audio = clean.defended.audio;
  if (same_frames) f.visual = clean.defended.visual;
  return net->classify(f);
}

std::string to_string(const ThroughDefense& through) {
  return through ? to_string(*through) : "network";
}

ThroughDefense parse_through_defense(const std::string& name) {
  if (name == "network") return std::nullopt;
  return parse_exfmem_gradient(name);
}

ObjectiveFn batch_objective(const DefendedModel& m, const DefendedModel::CleanBatch& clean,
                            const ThroughDefense& through) {
  if (m.forward_model) return forward_objective(m);
  const bool through_defense = through.has_value();
  const ExFMemGradient gradient = through.value_or(ExFMemGradient::kNone);
  // Per branch, computed lazily once and reused whenever the attack hands back that
  // modality's clean tensor (the localizer's visual feature depends on the audio, so it is
  // never cached): the clean feature, and through an exact ExFMem its defended feature. The
  // codes of the last exact solve of each branch warm-start the next.
  struct Cache {
    torch::Tensor audio, visual;                    // clean encoder features
    torch::Tensor defended_audio, defended_visual;  // clean features through ExFMem
    DefendedModel::Codes codes;
  };
  auto cache = std::make_shared<Cache>();
  cache->defended_audio = clean.defended.audio;
  cache->defended_visual = clean.defended.visual;
  cache->codes = clean.codes;
  const torch::Tensor clean_audio = clean.audio, clean_frames = clean.frames;
  // The unrolled map from h = 0 is not the exact one: its clean value is its own, per call.
  const bool exact = gradient != ExFMemGradient::kUnrolled;
  const std::string loss_kind = m.loss == "pcl" ? "ce" : m.loss;
  return [=](const torch::Tensor& audio, const torch::Tensor& frames,
             const torch::Tensor& labels) -> Objective {
    AvModel model = m.model;
    Features f;
    const bool audio_clean = audio.is_same(clean_audio), frames_clean = frames.is_same(clean_frames);
    // Branches taken as defended already (the clean one through an exact ExFMem).
    Features done;
    auto clean_feature = [&](torch::Tensor& slot, const torch::Tensor& x, bool is_audio) {
      if (!slot.defined()) {
        torch::NoGradGuard ng;
        slot = is_audio ? model->encode_audio(x) : model->encode_visual(x);
      }
      return slot;
    };
    auto clean_defended = [&](torch::Tensor& slot, const torch::Tensor& feature, bool is_audio) {
      if (!slot.defined()) {
        torch::NoGradGuard ng;
        Features one;
        DefendedModel::Codes warm;
        (is_audio ? one.audio : one.visual) = feature;
        (is_audio ? warm.audio : warm.visual) = is_audio ? cache->codes.audio : cache->codes.visual;
        const Features d = m.defend_warm(one, ExFMemGradient::kNone, warm).features;
        slot = is_audio ? d.audio : d.visual;
      }
      return slot;
    };
    if (model->visual_needs_audio()) {
      f = model->encode(audio, frames);
    } else {
      if (model->has_audio()) {
        if (audio_clean) {
          const torch::Tensor fa = clean_feature(cache->audio, audio, true);
          if (through_defense && exact) done.audio = clean_defended(cache->defended_audio, fa, true);
          else f.audio = fa;
        } else {
          f.audio = model->encode_audio(audio);
        }
      }
      if (model->has_visual()) {
        if (frames_clean) {
          const torch::Tensor fv = clean_feature(cache->visual, frames, false);
          if (through_defense && exact)
            done.visual = clean_defended(cache->defended_visual, fv, false);
          else f.visual = fv;
        } else {
          f.visual = model->encode_visual(frames);
        }
      }
    }
    if (through_defense) {
      DefendedModel::Defended d = m.defend_warm(f, gradient, cache->codes);
      f = std::move(d.features);
      if (d.codes.audio.defined()) cache->codes.audio = d.codes.audio;
      if (d.codes.visual.defined()) cache->codes.visual = d.codes.visual;
    }
    if (done.audio.defined()) f.audio = done.audio;
    if (done.visual.defined()) f.visual = done.visual;
    auto logits = model->classify(f);
    return {per_sample_loss(loss_kind, logits, f, labels), logits};
  };
}

ObjectiveFn batch_objective(const DefendedModel& m, const torch::Tensor& clean_audio,
                            const torch::Tensor& clean_frames, const ThroughDefense& through) {
  DefendedModel::CleanBatch clean;
  clean.audio = clean_audio;
  clean.frames = clean_frames;
  return batch_objective(m, clean, through);
}

}  // namespace avr
