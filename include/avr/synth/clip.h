// One clip of the embedded dataset: what is seen and heard (ClipPlan, drawn
// from the clip's own random stream, so it depends on (seed, split, index)
// alone) and its media (soundtrack, frames, target boxes).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/core/rng.h"
#include "avr/synth/audio_mix.h"
#include "avr/synth/emoji_atlas.h"
#include "avr/synth/profile.h"
#include "avr/synth/scene.h"
#include "avr/synth/sound_renderer.h"

namespace avr {

struct ClipPlan {
  std::string split;                    // train, val, test
  int64_t index = 0;                    // within the split
  std::string id;                       // file stem, e.g. train_00017
  int target = 0;                       // class index: the one instrument both seen and heard
  int audio_distractor = -1;            // class index heard too; -1: none
  std::vector<int> visual_distractors;  // class indices seen too
  MixLevels levels;
  NoiseKind noise = NoiseKind::White;
};

// The clip's random stream: root.fork("clip/<split>/<index>").
Rng clip_rng(const Rng& root, const std::string& split, int64_t index);

// Class of clip `index` is index mod #classes (balanced splits); distractor
// classes are distinct from the target and from each other, and no visual
// distractor is the audio distractor.
ClipPlan plan_clip(const SynthProfile& profile, const std::string& split, int64_t index,
                   const Rng& root);

struct ClipMedia {
  std::vector<float> audio;  // profile.audio_samples() samples, mono
  std::vector<Image> frames;
  std::vector<Box> boxes;  // the target's box in each frame
  ScenePlan scene;
};

// The clip's scene plan, exactly as render_clip draws it (from the clip's
// "scene" stream), without rendering anything. `sprites` as below.
ScenePlan plan_clip_scene(const SynthProfile& profile, const ClipPlan& plan, const Rng& root,
                          const std::vector<const Sprite*>& sprites);

// `sprites` is indexed by class (the profile's class list).
ClipMedia render_clip(const SynthProfile& profile, const ClipPlan& plan, const Rng& root,
                      SoundRenderer& renderer, const std::vector<const Sprite*>& sprites);

// What a clip is made of, by class name, for clips.json.
nlohmann::json clip_description(const SynthProfile& profile, const ClipPlan& plan,
                                const ClipMedia& media);

}  // namespace avr
