// Pictogram drawing, backgrounds and scene plans.
#include "avr/synth/scene.h"

#include <gtest/gtest.h>

#include <cmath>

#include "avr/layout/dataset_layout.h"
#include "avr/synth/clip.h"
#include "avr/synth/instruments.h"

namespace avr {
namespace {

struct Sprites {
  std::vector<std::string> classes = instrument_names();
  EmojiAtlas atlas;
  std::vector<const Sprite*> by_class;
  Sprites() : atlas(default_emoji_font_path(), codepoints()) {
    for (const auto& c : classes) by_class.push_back(&atlas.sprite(find_instrument(c).codepoint));
  }
  static std::vector<uint32_t> codepoints() {
    std::vector<uint32_t> cps;
    for (const auto& in : instruments()) cps.push_back(in.codepoint);
    return cps;
  }
};

const Sprites& sprites() {
  static const Sprites s;
  return s;
}

double mean_abs_diff(const Image& a, const Image& b, const Box& box) {
  double s = 0;
  for (int y = box.y0; y < box.y1; ++y)
    for (int x = box.x0; x < box.x1; ++x)
      for (int c = 0; c < 3; ++c) s += std::abs(a.at(x, y)[c] - b.at(x, y)[c]);
  return s / (3.0 * box.area());
}

}  // namespace

TEST(Compositor, BoxMatchesSizeAndAspectAndOnlyItsRegionChanges) {
  const Sprite& s = *sprites().by_class[0];
  Canvas c(100, 100);
  for (auto& v : c.rgb) v = 0.5f;
  const Image before = c.to_image();
  const Box b = draw_sprite(c, s, 50, 50, 60, 0.0);
  const Image after = c.to_image();
  ASSERT_FALSE(b.empty());
  const double longer = std::max(b.x1 - b.x0, b.y1 - b.y0);
  EXPECT_NEAR(longer, 60, 3);
  const double aspect = static_cast<double>(b.x1 - b.x0) / (b.y1 - b.y0);
  EXPECT_NEAR(aspect, static_cast<double>(s.width()) / s.height(), 0.1);
  EXPECT_NEAR(0.5 * (b.x0 + b.x1), 50, 2);
  EXPECT_NEAR(0.5 * (b.y0 + b.y1), 50, 2);
  EXPECT_GT(mean_abs_diff(before, after, b), 20.0);
  // Far from the box (2 px margin for the soft edge) nothing changed.
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x)
      if (x < b.x0 - 2 || x >= b.x1 + 2 || y < b.y0 - 2 || y >= b.y1 + 2) {
        ASSERT_EQ(before.at(x, y)[0], after.at(x, y)[0]) << x << "," << y;
      }
}

TEST(Compositor, RotationTurnsCounterClockwiseAndClipsAtTheEdge) {
  // A 40x4 bar, red on its right half and blue on its left: turned by +90
  // degrees (counter-clockwise on screen) its red end points up.
  Sprite bar;
  SpriteLevel l;
  l.width = 40;
  l.height = 4;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 40; ++x) {
      const bool right = x >= 20;
      l.rgba.insert(l.rgba.end(), {right ? 1.0f : 0.0f, 0.0f, right ? 0.0f : 1.0f, 1.0f});
    }
  bar.levels.push_back(l);
  Canvas c(60, 60);
  const Box b = draw_sprite(c, bar, 30, 30, 40, 90.0);
  EXPECT_NEAR(b.x1 - b.x0, 4, 1);
  EXPECT_NEAR(b.y1 - b.y0, 40, 1);
  EXPECT_GT(c.at(30, 15)[0], 0.9f);  // above the centre: red
  EXPECT_GT(c.at(30, 45)[2], 0.9f);  // below: blue
  Canvas c2(60, 60);
  const Box edge = draw_sprite(c2, bar, 0, 30, 40, 0.0);  // half outside
  EXPECT_EQ(edge.x0, 0);
  EXPECT_EQ(edge.x1, 20);
  EXPECT_GT(c2.at(5, 30)[0], 0.9f);  // the visible half is the right, red one
}

TEST(Scene, PlansKeepEveryObjectInsideAndBoxesCoverTheTarget) {
  SynthProfile p = profile_by_name("default");
  p.motion = 0.2;  // stronger than default: the bounds must still hold
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Rng rng(seed);
    const int target = static_cast<int>(seed % 10);
    const std::vector<int> distractors = {static_cast<int>((seed + 3) % 10),
                                          static_cast<int>((seed + 6) % 10)};
    const ScenePlan plan = plan_scene(p, target, distractors, sprites().by_class, rng);
    ASSERT_EQ(plan.objects.size(), 3u);
    int targets = 0;
    for (const auto& o : plan.objects) {
      targets += o.target;
      for (double v : {o.x0, o.y0, o.x1, o.y1}) ASSERT_TRUE(v > 0 && v < 1);
      ASSERT_LE(std::fabs(o.x1 - o.x0), p.motion + 1e-12);
      ASSERT_LE(std::fabs(o.angle0), p.max_rotation_deg);
      ASSERT_LE(std::fabs(o.angle1 - o.angle0), p.max_spin_deg + 1e-12);
      const double lo = o.target ? p.target_scale_min : p.distractor_scale_min;
      const double hi = o.target ? p.target_scale_max : p.distractor_scale_max;
      ASSERT_TRUE(o.size >= lo && o.size <= hi);
    }
    ASSERT_EQ(targets, 1);
    Canvas bg(p.frame_size, p.frame_size);
    paint_background(plan.background, bg);
    const Image bare = bg.to_image();
    for (int f = 0; f < p.frames_per_clip; ++f) {
      const SceneFrame fr =
          render_scene_frame(plan, sprites().by_class, p.frame_size, f, p.frames_per_clip);
      const Box& b = fr.target_box;
      ASSERT_FALSE(b.empty());
      ASSERT_GE(b.x0, 0);
      ASSERT_GE(b.y0, 0);
      ASSERT_LE(b.x1, p.frame_size);
      ASSERT_LE(b.y1, p.frame_size);
      // Target within the profile's share of the side (its longer side; alpha >= 0.5 trims ~1 px).
      ASSERT_TRUE(planned_target_rect(plan, sprites().by_class, p.max_rotation_deg,
                                      static_cast<double>(f) / (p.frames_per_clip - 1))
                      .contains((b.x0 + 0.5) / p.frame_size, (b.y0 + 0.5) / p.frame_size));
      const int longer = std::max(b.x1 - b.x0, b.y1 - b.y0);
      ASSERT_GE(longer, p.target_scale_min * p.frame_size * 0.9) << seed;
      ASSERT_LE(longer, p.target_scale_max * p.frame_size * 1.2) << seed;
      EXPECT_GT(mean_abs_diff(fr.image, bare, b), 10.0) << "seed " << seed << " frame " << f;
    }
  }
}

// Fraction of `rects` holding each point of a `n`×`n` grid of pixel centres;
// the largest, and where.
struct BestPoint {
  double share = 0, x = 0, y = 0;
};
BestPoint best_fixed_point(const std::vector<FrameRect>& rects, int n) {
  BestPoint best;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double x = (i + 0.5) / n, y = (j + 0.5) / n;
      int in = 0;
      for (const auto& r : rects) in += r.contains(x, y);
      const double share = static_cast<double>(in) / rects.size();
      if (share > best.share) best = {share, x, y};
    }
  return best;
}

// The localization baseline: no fixed point of the frame may lie in the
// sounding instrument's box in more than half of the clips, or a constant
// guess beats any localizer (the 40-60 % targets held the centre in 88 %).
// Checked on the generator's own plans (plan_clip + plan_clip_scene, as
// `avr synth` makes them) at the frame the models see, with the planned
// bound of the box, which holds the drawn box (see the test above).
TEST(Scene, NoFixedPointLiesInMostTargetBoxes) {
  const SynthProfile p = profile_by_name("default");
  const Rng root(0);
  // center_frame_index is 1-based: frame 4 of 8 is at t = 3/7.
  const double t = static_cast<double>(center_frame_index(p.frames_per_clip) - 1) /
                   (p.frames_per_clip - 1);
  std::vector<FrameRect> rects;
  for (int64_t i = 0; i < 400; ++i) {
    const ClipPlan plan = plan_clip(p, "test", i, root);
    rects.push_back(planned_target_rect(plan_clip_scene(p, plan, root, sprites().by_class),
                                        sprites().by_class, p.max_rotation_deg, t));
  }
  const BestPoint best = best_fixed_point(rects, p.frame_size);
  EXPECT_LE(best.share, 0.5) << "at (" << best.x << ", " << best.y << ")";
  // The check can fail: the old 0.40-0.60 range puts the centre in most boxes.
  SynthProfile old = p;
  old.target_scale_min = old.distractor_scale_min = 0.40;
  old.target_scale_max = old.distractor_scale_max = 0.60;
  std::vector<FrameRect> old_rects;
  for (int64_t i = 0; i < 400; ++i) {
    const ClipPlan plan = plan_clip(old, "test", i, root);
    old_rects.push_back(planned_target_rect(plan_clip_scene(old, plan, root, sprites().by_class),
                                            sprites().by_class, old.max_rotation_deg, t));
  }
  EXPECT_GT(best_fixed_point(old_rects, old.frame_size).share, 0.8);
}

TEST(Scene, ObjectsMoveAcrossTheClip) {
  SynthProfile p = profile_by_name("default");
  int moved = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng rng(seed);
    const ScenePlan plan = plan_scene(p, 1, {}, sprites().by_class, rng);
    const Box a = render_scene_frame(plan, sprites().by_class, 56, 0, 8).target_box;
    const Box b = render_scene_frame(plan, sprites().by_class, 56, 7, 8).target_box;
    moved += a.x0 != b.x0 || a.y0 != b.y0 || a.x1 != b.x1 || a.y1 != b.y1;
  }
  EXPECT_GE(moved, 15);
}

TEST(Background, KindsDifferAndFillTheCanvas) {
  Rng rng(4);
  int kinds[3] = {0, 0, 0};
  for (int i = 0; i < 30; ++i) {
    const Background b = random_background(rng);
    ++kinds[static_cast<int>(b.kind)];
    Canvas c(32, 32);
    for (auto& v : c.rgb) v = -1.0f;
    paint_background(b, c);
    for (float v : c.rgb) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
  }
  for (int k : kinds) EXPECT_GT(k, 0);
}

}  // namespace avr
