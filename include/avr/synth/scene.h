// The picture side of a clip: one target pictogram (the sounding instrument)
// and 0..N distractor pictograms of other classes over a procedural
// background, moving and turning a little across the clip's frames. The
// target's box in every frame is the localization ground truth.
#pragma once

#include <string>
#include <vector>

#include "avr/core/rng.h"
#include "avr/synth/background.h"
#include "avr/synth/compositor.h"
#include "avr/synth/emoji_atlas.h"
#include "avr/synth/profile.h"

namespace avr {

struct SceneObject {
  int class_index = 0;  // into the profile's class list
  bool target = false;
  double size = 0.5;                              // longer side, fraction of the frame side
  double x0 = 0.5, y0 = 0.5, x1 = 0.5, y1 = 0.5;  // centre at the first / last frame
  double angle0 = 0.0, angle1 = 0.0;              // degrees, first / last frame
};

struct ScenePlan {
  Background background;
  std::vector<SceneObject> objects;  // drawing order, back to front
};

// Places the target and `distractors` (class indices) fully inside the frame
// at every frame; distractors cover at most profile.max_target_occlusion of the
// target's box when some placement allows it (30 tries, else the least).
ScenePlan plan_scene(const SynthProfile& profile, int target, const std::vector<int>& distractors,
                     const std::vector<const Sprite*>& sprites, Rng& rng);

// A rectangle in fractions of the frame side ([0,1]², x right, y down).
struct FrameRect {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

// The rectangle that holds the target's drawn box at clip time t ∈ [0,1]
// (frame index / (count − 1)): its planned centre at t, the extent of the
// pictogram at any angle within ±max_rotation_deg. It bounds the box that
// render_scene_frame returns, so placement properties (how often a fixed point
// falls in the target's box) can be checked on plans, without rendering.
FrameRect planned_target_rect(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              double max_rotation_deg, double t);

struct SceneFrame {
  Image image;
  Box target_box;
};

// The background is still: paint it once per clip (paint_background) and
// draw frame `index` (0-based) of `count` over a copy. `sprites` is indexed by
// class.
SceneFrame render_scene_frame(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              const Canvas& background, int index, int count);
// The same on a freshly painted square background of `size` pixels.
SceneFrame render_scene_frame(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              int size, int index, int count);

}  // namespace avr
