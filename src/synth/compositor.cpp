#include "avr/synth/compositor.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {

Image Canvas::to_image() const {
  Image im(width, height);
  for (size_t i = 0; i < rgb.size(); ++i)
    im.rgb[i] = static_cast<uint8_t>(std::lround(std::clamp(rgb[i], 0.0f, 1.0f) * 255.0f));
  return im;
}

namespace {

// Bilinear sample of premultiplied RGBA at continuous coordinates (pixel
// centres at i + 0.5); outside the level is transparent.
void sample(const SpriteLevel& l, double u, double v, float out[4]) {
  const double x = u - 0.5, y = v - 0.5;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
  out[0] = out[1] = out[2] = out[3] = 0.0f;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      const int sx = x0 + dx, sy = y0 + dy;
      if (sx < 0 || sy < 0 || sx >= l.width || sy >= l.height) continue;
      const float w = (dx ? fx : 1.0f - fx) * (dy ? fy : 1.0f - fy);
      const float* p = &l.rgba[(static_cast<size_t>(sy) * l.width + sx) * 4];
      for (int c = 0; c < 4; ++c) out[c] += w * p[c];
    }
}

}  // namespace

Box draw_sprite(Canvas& canvas, const Sprite& sprite, double cx, double cy, double size_px,
                double angle_deg) {
  AVR_ASSERT(!sprite.levels.empty() && size_px > 0);
  const double w0 = sprite.width(), h0 = sprite.height();
  const double scale = size_px / std::max(w0, h0);  // canvas pixels per level-0 pixel
  int level = static_cast<int>(std::floor(std::log2(1.0 / scale)));
  level = std::clamp(level, 0, static_cast<int>(sprite.levels.size()) - 1);
  const SpriteLevel& l = sprite.levels[level];
  const double to_level = 1.0 / std::ldexp(1.0, level);  // level-0 -> level pixels

  const double a = angle_deg * M_PI / 180.0;
  const double ca = std::cos(a), sa = std::sin(a);
  const double r = 0.5 * scale * std::sqrt(w0 * w0 + h0 * h0) + 1.0;
  const int px0 = std::max(0, static_cast<int>(std::floor(cx - r)));
  const int px1 = std::min(canvas.width, static_cast<int>(std::ceil(cx + r)));
  const int py0 = std::max(0, static_cast<int>(std::floor(cy - r)));
  const int py1 = std::min(canvas.height, static_cast<int>(std::ceil(cy + r)));

  Box box{canvas.width, canvas.height, 0, 0};
  float s[4];
  for (int py = py0; py < py1; ++py)
    for (int px = px0; px < px1; ++px) {
      // Screen y points down, so counter-clockwise on screen is a rotation by
      // -a in these coordinates; undo it to find the sprite pixel.
      const double dx = px + 0.5 - cx, dy = py + 0.5 - cy;
      const double ux = ca * dx - sa * dy, uy = sa * dx + ca * dy;
      const double u0 = ux / scale + 0.5 * w0, v0 = uy / scale + 0.5 * h0;
      sample(l, u0 * to_level, v0 * to_level, s);
      if (s[3] <= 0.0f) continue;
      float* d = canvas.at(px, py);
      for (int c = 0; c < 3; ++c) d[c] = s[c] + (1.0f - s[3]) * d[c];
      if (s[3] >= 0.5f) {
        box.x0 = std::min(box.x0, px), box.y0 = std::min(box.y0, py);
        box.x1 = std::max(box.x1, px + 1), box.y1 = std::max(box.y1, py + 1);
      }
    }
  if (box.empty()) return Box{};
  return box;
}

}  // namespace avr
