#include "avr/synth/background.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

// Muted random colours: a grey level pulled part of the way to a random hue,
// so backgrounds rarely out-shout the pictograms.
Rgb random_color(Rng& rng) {
  const double grey = rng.uniform(0.15, 0.9);
  const double sat = rng.uniform(0.2, 0.8);
  Rgb c;
  for (auto& v : c) v = static_cast<float>(grey + sat * (rng.uniform(0.05, 0.95) - grey));
  return c;
}

Rgb lerp(const Rgb& a, const Rgb& b, double t) {
  Rgb c;
  for (int i = 0; i < 3; ++i) c[i] = static_cast<float>(a[i] + (b[i] - a[i]) * t);
  return c;
}

}  // namespace

std::string background_kind_name(BackgroundKind kind) {
  switch (kind) {
    case BackgroundKind::Gradient:
      return "gradient";
    case BackgroundKind::Blobs:
      return "blobs";
    case BackgroundKind::Stripes:
      return "stripes";
  }
  AVR_ASSERT(false, "unknown background kind");
}

Background random_background(Rng& rng) {
  Background b;
  b.kind = static_cast<BackgroundKind>(rng.randint(0, 2));
  b.color0 = random_color(rng);
  b.color1 = random_color(rng);
  b.angle = rng.uniform(0.0, 2.0 * M_PI);
  b.period = rng.uniform(0.12, 0.4);
  if (b.kind == BackgroundKind::Blobs) {
    const int n = static_cast<int>(rng.randint(3, 7));
    for (int i = 0; i < n; ++i)
      b.blobs.push_back({rng.uniform(), rng.uniform(), rng.uniform(0.1, 0.35), random_color(rng)});
  }
  return b;
}

void paint_background(const Background& b, Canvas& canvas) {
  const double side = std::max(canvas.width, canvas.height);
  const double dx = std::cos(b.angle), dy = std::sin(b.angle);
  for (int py = 0; py < canvas.height; ++py)
    for (int px = 0; px < canvas.width; ++px) {
      const double x = (px + 0.5) / side, y = (py + 0.5) / side;
      const double along = (x - 0.5) * dx + (y - 0.5) * dy;  // in [-0.71, 0.71]
      Rgb c{};
      switch (b.kind) {
        case BackgroundKind::Gradient:
          c = lerp(b.color0, b.color1, std::clamp(along / 1.42 + 0.5, 0.0, 1.0));
          break;
        case BackgroundKind::Stripes: {
          // A smoothed square wave: soft edges avoid JPEG ringing.
          const double s = std::sin(2.0 * M_PI * along / b.period);
          c = lerp(b.color0, b.color1, 0.5 + 0.5 * std::tanh(4.0 * s));
          break;
        }
        case BackgroundKind::Blobs:
          c = b.color0;
          for (const auto& blob : b.blobs) {
            const double d2 = (x - blob.x) * (x - blob.x) + (y - blob.y) * (y - blob.y);
            c = lerp(c, blob.color, std::exp(-d2 / (2.0 * blob.radius * blob.radius * 0.25)));
          }
          break;
      }
      float* d = canvas.at(px, py);
      for (int i = 0; i < 3; ++i) d[i] = c[i];
    }
}

}  // namespace avr
