#include "avr/synth/clip.h"

#include <algorithm>
#include <cstdio>

#include "avr/core/error.h"
#include "avr/synth/melody.h"

namespace avr {
namespace {

// A class index not in `taken`, uniformly.
int other_class(int num_classes, const std::vector<int>& taken, Rng& rng) {
  std::vector<int> free;
  for (int c = 0; c < num_classes; ++c)
    if (std::find(taken.begin(), taken.end(), c) == taken.end()) free.push_back(c);
  AVR_ASSERT(!free.empty(), "no class left for a distractor");
  return free[rng.randint(0, static_cast<int64_t>(free.size()) - 1)];
}

}  // namespace

Rng clip_rng(const Rng& root, const std::string& split, int64_t index) {
  return root.fork("clip/" + split + "/" + std::to_string(index));
}

ClipPlan plan_clip(const SynthProfile& p, const std::string& split, int64_t index,
                   const Rng& root) {
  const int num_classes = static_cast<int>(p.class_list().size());
  Rng rng = clip_rng(root, split, index).fork("plan");
  ClipPlan c;
  c.split = split;
  c.index = index;
  char id[48];
  std::snprintf(id, sizeof id, "%s_%05lld", split.c_str(), static_cast<long long>(index));
  c.id = id;
  c.target = static_cast<int>(index % num_classes);
  std::vector<int> taken = {c.target};
  if (rng.bernoulli(p.audio_distractor_prob)) {
    c.audio_distractor = other_class(num_classes, taken, rng);
    taken.push_back(c.audio_distractor);
  }
  // Number of visual distractors ~ visual_distractor_probs.
  double u = rng.uniform();
  int k = 0;
  while (k < p.max_visual_distractors() && u >= p.visual_distractor_probs[k])
    u -= p.visual_distractor_probs[k++];
  for (int i = 0; i < k; ++i) {
    c.visual_distractors.push_back(other_class(num_classes, taken, rng));
    taken.push_back(c.visual_distractors.back());
  }
  c.levels.distractor_db = rng.uniform(p.distractor_db_min, p.distractor_db_max);
  c.levels.snr_db = rng.uniform(p.snr_db_min, p.snr_db_max);
  c.levels.peak = rng.uniform(p.peak_min, p.peak_max);
  c.noise = static_cast<NoiseKind>(rng.randint(0, 2));
  return c;
}

ScenePlan plan_clip_scene(const SynthProfile& p, const ClipPlan& plan, const Rng& root,
                          const std::vector<const Sprite*>& sprites) {
  Rng srng = clip_rng(root, plan.split, plan.index).fork("scene");
  return plan_scene(p, plan.target, plan.visual_distractors, sprites, srng);
}

ClipMedia render_clip(const SynthProfile& p, const ClipPlan& plan, const Rng& root,
                      SoundRenderer& renderer, const std::vector<const Sprite*>& sprites) {
  const Rng rng = clip_rng(root, plan.split, plan.index);
  const auto classes = p.class_list();
  const int64_t n = p.audio_samples();
  const PartStyle style{p.tempo_bpm_min, p.tempo_bpm_max, p.velocity_min, p.velocity_max};

  ClipMedia m;
  Rng target_rng = rng.fork("target_part");
  const Instrument& ti = find_instrument(classes.at(plan.target));
  const auto target = renderer.render(ti, random_part(ti, style, n, p.sample_rate, target_rng), n);
  std::vector<float> distractor;
  if (plan.audio_distractor >= 0) {
    Rng drng = rng.fork("distractor_part");
    const Instrument& di = find_instrument(classes.at(plan.audio_distractor));
    distractor = renderer.render(di, random_part(di, style, n, p.sample_rate, drng), n);
  }
  Rng nrng = rng.fork("noise");
  m.audio = mix_clip_audio(target, distractor, make_noise(plan.noise, n, nrng), plan.levels);

  m.scene = plan_clip_scene(p, plan, root, sprites);
  Canvas background(p.frame_size, p.frame_size);
  paint_background(m.scene.background, background);
  for (int f = 0; f < p.frames_per_clip; ++f) {
    SceneFrame frame = render_scene_frame(m.scene, sprites, background, f, p.frames_per_clip);
    m.frames.push_back(std::move(frame.image));
    m.boxes.push_back(frame.target_box);
  }
  return m;
}

nlohmann::json clip_description(const SynthProfile& p, const ClipPlan& plan,
                                const ClipMedia& media) {
  const auto classes = p.class_list();
  nlohmann::json visual = nlohmann::json::array();
  for (int c : plan.visual_distractors) visual.push_back(classes.at(c));
  nlohmann::json j{
      {"class", classes.at(plan.target)},
      {"audio_distractor",
       plan.audio_distractor >= 0 ? nlohmann::json(classes.at(plan.audio_distractor)) : nullptr},
      {"distractor_db",
       plan.audio_distractor >= 0 ? nlohmann::json(plan.levels.distractor_db) : nullptr},
      {"snr_db", plan.levels.snr_db},
      {"peak", plan.levels.peak},
      {"noise", noise_kind_name(plan.noise)},
      {"visual_distractors", visual},
      {"background", background_kind_name(media.scene.background.kind)},
  };
  for (const auto& o : media.scene.objects)
    if (o.target) j["target_size"] = o.size;
  return j;
}

}  // namespace avr
