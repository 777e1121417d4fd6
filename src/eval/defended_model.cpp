#include "avr/eval/defended_model.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/train/losses.h"

namespace avr {

namespace {

// The model ExFMem works on (split at its features), or an error saying how to get one.
std::shared_ptr<const FeatureModel> split_for_exfmem(const DefendedModel& m) {
  auto split = m.feature_model();
  AVR_CHECK(split, "ExFMem cannot defend ", m.describe(),
            ": it replaces f_a and f_v by their memory reconstructions before the classifier, and "
            "this model is seen only through forward(audio, frames); give the TorchScript module "
            "encode(audio, frames) -> (f_a, f_v) and classify(f_a, f_v) -> logits methods "
            "(docs/own_models.md), or use an avr checkpoint");
  return split;
}

// Without a defense, a model given through its forward runs that forward (one call).
bool forward_only(const DefendedModel& m) { return m.forward_model && !m.exfmem; }

// Row-count check for a warm start: one kept from another batch size is not this batch's.
torch::Tensor warm_for(const torch::Tensor& codes, const torch::Tensor& f) {
  if (!codes.defined() || !f.defined() || codes.size(0) != f.size(0)) return {};
  return codes;
}

// A feature of a model that encodes both branches at once, taken as the clean one: nothing
// being differentiated reaches it (on a model whose weights need no gradient) and it equals
// the clean feature, so its defended value is the clean one's.
bool clean_feature(const torch::Tensor& f, const torch::Tensor& clean) {
  return f.defined() && clean.defined() && !f.requires_grad() && torch::equal(f, clean);
}

// The objective of a forward-only model: the whole forward at every call (it cannot give
// one branch's feature, so nothing is cached), the loss on its logits and features.
ObjectiveFn forward_objective(const DefendedModel& m) {
  const LossKind loss_kind = m.loss;
  const bool needs_features = loss_kind == LossKind::MinSim || loss_kind == LossKind::MaxSim;
  AVR_CHECK(!needs_features || m.forward_model->gives_features(), "loss '", loss_kind,
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
  return to_string(c.kind) + (c.kind == ModelKind::AudioVisual ? "/" + to_string(c.fusion) : "");
}

std::shared_ptr<const FeatureModel> DefendedModel::feature_model() const {
  if (forward_model) return forward_model->feature_model();
  AVR_ASSERT(model, "a DefendedModel needs a model or a forward_model");
  return native_feature_model(model);
}

torch::Tensor DefendedModel::logits(const torch::Tensor& audio, const torch::Tensor& frames) const {
  if (forward_only(*this)) return forward_model->forward(audio, frames).logits;
  const auto net = split_for_exfmem(*this);
  return net->classify(defend(net->encode(audio, frames), ExFMemGradient::kNone));
}

DefendedModel::CleanBatch DefendedModel::defend_clean(const torch::Tensor& audio,
                                                      const torch::Tensor& frames) const {
  if (forward_only(*this)) {
    ForwardOutput out = forward_model->forward(audio, frames);
    CleanBatch clean{audio, frames, std::move(out.features), {}, out.logits, {}};
    return clean;
  }
  const auto net = split_for_exfmem(*this);
  Features f = net->encode(audio, frames);
  Defended d = defend_warm(f, ExFMemGradient::kNone, {});
  return {audio, frames, std::move(d.features), std::move(d.codes), {}, std::move(f)};
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean) const {
  if (forward_only(*this)) {
    AVR_ASSERT(clean.logits.defined(), "a clean batch of a forward-only model keeps its logits");
    return clean.logits;
  }
  return split_for_exfmem(*this)->classify(clean.defended);
}

torch::Tensor DefendedModel::logits(const CleanBatch& clean, const torch::Tensor& adv_audio,
                                    const torch::Tensor& adv_frames) const {
  if (forward_only(*this)) return logits(adv_audio, adv_frames);
  const auto net = split_for_exfmem(*this);
  Features f;
  bool same_audio = false, same_frames = false;
  if (net->encodes_branches()) {
    auto unchanged = [](const torch::Tensor& adv, const torch::Tensor& x) {
      return adv.is_same(x) || torch::equal(adv, x);
    };
    same_audio = net->has_audio() && unchanged(adv_audio, clean.audio);
    same_frames = net->has_visual() && unchanged(adv_frames, clean.frames);
    if (net->has_audio() && !same_audio) f.audio = net->encode_audio(adv_audio);
    if (net->has_visual() && !same_frames) f.visual = net->encode_visual(adv_frames);
  } else {
    // Both branches at once; a feature equal to the clean one keeps its defended value.
    f = net->encode(adv_audio, adv_frames);
    same_audio = clean_feature(f.audio, clean.features.audio);
    same_frames = clean_feature(f.visual, clean.features.visual);
    if (same_audio) f.audio = torch::Tensor();
    if (same_frames) f.visual = torch::Tensor();
  }
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
  if (forward_only(m)) return forward_objective(m);
  const auto net = split_for_exfmem(m);
  const bool through_defense = through.has_value();
  const ExFMemGradient gradient = through.value_or(ExFMemGradient::kNone);
  // Per branch, computed lazily once: the clean feature, and through an exact ExFMem its
  // defended feature. A model with branch encoders reuses them whenever the attack hands back
  // that modality's clean tensor (the unattacked branch is not encoded again); one that
  // encodes both at once (the localizer, a TorchScript module) computes both at every call and
  // reuses the defended clean feature where its feature is the clean one (clean_feature). The
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
  if (!net->encodes_branches()) {
    cache->audio = clean.features.audio;
    cache->visual = clean.features.visual;
  }
  const torch::Tensor clean_audio = clean.audio, clean_frames = clean.frames;
  // The unrolled map from h = 0 is not the exact one: its clean value is its own, per call.
  const bool exact = gradient != ExFMemGradient::kUnrolled;
  const LossKind loss_kind = m.loss;
  return [=](const torch::Tensor& audio, const torch::Tensor& frames, const torch::Tensor& labels,
             const torch::Tensor& rows) -> Objective {
    // This call's rows of a per-clip tensor of the batch.
    auto at = [&](const torch::Tensor& t) {
      return rows.defined() && t.defined() ? t.index_select(0, rows.to(t.device())) : t;
    };
    // Per clip: codes of this call's rows written back into the batch's.
    auto put = [&](const torch::Tensor& all, const torch::Tensor& mine) {
      if (!rows.defined()) return mine;
      return all.defined() ? all.index_copy(0, rows.to(all.device()), mine.to(all.dtype())) : all;
    };
    // Whether an input is the batch's clean one at this call's rows (objective.h): the
    // caller's own tensor, or, for rows of it, a copy that needs no gradient.
    auto is_clean = [&](const torch::Tensor& x, const torch::Tensor& c) {
      if (!rows.defined()) return x.is_same(c);
      return !x.requires_grad() && torch::equal(x, at(c));
    };
    // The clean features of every clip of the batch, computed once.
    auto clean_features = [&] {
      torch::NoGradGuard ng;
      if (!net->encodes_branches()) {
        if (!cache->audio.defined() && !cache->visual.defined()) {
          const Features c = net->encode(clean_audio, clean_frames);
          cache->audio = c.audio;
          cache->visual = c.visual;
        }
      }
    };
    auto clean_branch = [&](bool is_audio) {
      torch::Tensor& slot = is_audio ? cache->audio : cache->visual;
      if (!slot.defined()) {
        torch::NoGradGuard ng;
        slot = is_audio ? net->encode_audio(clean_audio) : net->encode_visual(clean_frames);
      }
      return slot;
    };
    // ... and through ExFMem (exact), from the clean codes.
    auto clean_defended = [&](bool is_audio) {
      torch::Tensor& slot = is_audio ? cache->defended_audio : cache->defended_visual;
      if (!slot.defined()) {
        torch::NoGradGuard ng;
        Features one;
        DefendedModel::Codes warm;
        (is_audio ? one.audio : one.visual) = is_audio ? cache->audio : cache->visual;
        (is_audio ? warm.audio : warm.visual) = is_audio ? cache->codes.audio : cache->codes.visual;
        const Features d = m.defend_warm(one, ExFMemGradient::kNone, warm).features;
        slot = is_audio ? d.audio : d.visual;
      }
      return slot;
    };
    Features f;
    Features done;  // branches taken as defended already (the clean one through an exact ExFMem)
    if (!net->encodes_branches()) {
      f = net->encode(audio, frames);
      if (through_defense && exact) {
        clean_features();
        if (clean_feature(f.audio, at(cache->audio))) {
          done.audio = at(clean_defended(true));
          f.audio = torch::Tensor();
        }
        if (clean_feature(f.visual, at(cache->visual))) {
          done.visual = at(clean_defended(false));
          f.visual = torch::Tensor();
        }
      }
    } else {
      auto branch = [&](bool is_audio, const torch::Tensor& x, const torch::Tensor& clean_x,
                        torch::Tensor& feature, torch::Tensor& defended) {
        if (!is_clean(x, clean_x)) {
          feature = is_audio ? net->encode_audio(x) : net->encode_visual(x);
          return;
        }
        const torch::Tensor full = clean_branch(is_audio);
        if (through_defense && exact) defended = at(clean_defended(is_audio));
        else feature = at(full);
      };
      if (net->has_audio()) branch(true, audio, clean_audio, f.audio, done.audio);
      if (net->has_visual()) branch(false, frames, clean_frames, f.visual, done.visual);
    }
    if (through_defense) {
      DefendedModel::Defended d = m.defend_warm(f, gradient, {at(cache->codes.audio), at(cache->codes.visual)});
      f = std::move(d.features);
      if (d.codes.audio.defined()) cache->codes.audio = put(cache->codes.audio, d.codes.audio);
      if (d.codes.visual.defined()) cache->codes.visual = put(cache->codes.visual, d.codes.visual);
    }
    if (done.audio.defined()) f.audio = done.audio;
    if (done.visual.defined()) f.visual = done.visual;
    auto logits = net->classify(f);
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
