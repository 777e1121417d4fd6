#include "avr/synth/scene.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

struct Extent {
  double hx, hy;  // half width / height of the rotated pictogram, fractions of the frame side
};

// Bounds the axis-aligned extent at any angle within +-max_deg.
Extent extent_of(const Sprite& s, double size, double max_deg) {
  const double m = std::max(s.width(), s.height());
  const double w = size * s.width() / m, h = size * s.height() / m;
  const double sn = std::sin(max_deg * M_PI / 180.0);
  return {0.5 * (w + h * sn), 0.5 * (w * sn + h)};
}

struct Rect {
  double x0, y0, x1, y1;
  double area() const { return std::max(0.0, x1 - x0) * std::max(0.0, y1 - y0); }
};

Rect rect_at(const SceneObject& o, const Extent& e, double t) {
  const double x = o.x0 + (o.x1 - o.x0) * t, y = o.y0 + (o.y1 - o.y0) * t;
  return {x - e.hx, y - e.hy, x + e.hx, y + e.hy};
}

double overlap(const Rect& a, const Rect& b) {
  return Rect{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1),
              std::min(a.y1, b.y1)}
      .area();
}

// Start and end centres such that the extent stays inside [0, 1]^2; the end
// moves at most `motion` per axis.
SceneObject place(int cls, bool target, double size, const Extent& e, const SynthProfile& p,
                  Rng& rng) {
  SceneObject o;
  o.class_index = cls;
  o.target = target;
  o.size = size;
  const double lo_x = e.hx, hi_x = 1.0 - e.hx, lo_y = e.hy, hi_y = 1.0 - e.hy;
  AVR_ASSERT(lo_x <= hi_x && lo_y <= hi_y, "pictogram larger than the frame");
  o.x0 = rng.uniform(lo_x, hi_x);
  o.y0 = rng.uniform(lo_y, hi_y);
  o.x1 = std::clamp(o.x0 + rng.uniform(-p.motion, p.motion), lo_x, hi_x);
  o.y1 = std::clamp(o.y0 + rng.uniform(-p.motion, p.motion), lo_y, hi_y);
  o.angle0 = rng.uniform(-p.max_rotation_deg, p.max_rotation_deg);
  o.angle1 = std::clamp(o.angle0 + rng.uniform(-p.max_spin_deg, p.max_spin_deg),
                        -p.max_rotation_deg, p.max_rotation_deg);
  return o;
}

}  // namespace

FrameRect planned_target_rect(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              double max_rotation_deg, double t) {
  for (const auto& o : plan.objects) {
    if (!o.target) continue;
    const Rect r = rect_at(o, extent_of(*sprites.at(o.class_index), o.size, max_rotation_deg), t);
    return {r.x0, r.y0, r.x1, r.y1};
  }
  AVR_FAIL("scene plan without a target pictogram");
}

ScenePlan plan_scene(const SynthProfile& p, int target, const std::vector<int>& distractors,
                     const std::vector<const Sprite*>& sprites, Rng& rng) {
  ScenePlan plan;
  plan.background = random_background(rng);
  const double tsize = rng.uniform(p.target_scale_min, p.target_scale_max);
  const Extent te = extent_of(*sprites.at(target), tsize, p.max_rotation_deg);
  const SceneObject t = place(target, true, tsize, te, p, rng);
  plan.objects.push_back(t);
  static const double kChecks[3] = {0.0, 0.5, 1.0};
  for (int cls : distractors) {
    const double size = rng.uniform(p.distractor_scale_min, p.distractor_scale_max);
    const Extent e = extent_of(*sprites.at(cls), size, p.max_rotation_deg);
    SceneObject best;
    double best_cover = 2.0;
    for (int attempt = 0; attempt < 30 && best_cover > p.max_target_occlusion; ++attempt) {
      SceneObject o = place(cls, false, size, e, p, rng);
      double cover = 0;  // worst share of the target's extent it covers
      for (double c : kChecks) {
        const Rect tr = rect_at(t, te, c);
        cover = std::max(cover, overlap(tr, rect_at(o, e, c)) / tr.area());
      }
      if (cover < best_cover) best = o, best_cover = cover;
    }
    plan.objects.push_back(best);
  }
  // Random depth order: the target is sometimes partly behind a distractor.
  for (size_t i = plan.objects.size(); i > 1; --i)
    std::swap(plan.objects[i - 1], plan.objects[rng.randint(0, static_cast<int64_t>(i) - 1)]);
  return plan;
}

SceneFrame render_scene_frame(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              int size, int index, int count) {
  AVR_ASSERT(size > 0);
  Canvas background(size, size);
  paint_background(plan.background, background);
  return render_scene_frame(plan, sprites, background, index, count);
}

SceneFrame render_scene_frame(const ScenePlan& plan, const std::vector<const Sprite*>& sprites,
                              const Canvas& background, int index, int count) {
  AVR_ASSERT(count > 0 && index >= 0 && index < count);
  AVR_ASSERT(background.width == background.height, "frames are square");
  const int size = background.width;
  Canvas canvas = background;
  const double t = count > 1 ? static_cast<double>(index) / (count - 1) : 0.0;
  SceneFrame f;
  bool seen = false;
  for (const auto& o : plan.objects) {
    const double cx = (o.x0 + (o.x1 - o.x0) * t) * size;
    const double cy = (o.y0 + (o.y1 - o.y0) * t) * size;
    const double angle = o.angle0 + (o.angle1 - o.angle0) * t;
    const Box b = draw_sprite(canvas, *sprites.at(o.class_index), cx, cy, o.size * size, angle);
    if (o.target) f.target_box = b, seen = true;
  }
  AVR_ASSERT(seen && !f.target_box.empty(), "the target pictogram was not drawn");
  f.image = canvas.to_image();
  return f;
}

}  // namespace avr
