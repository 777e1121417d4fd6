// A float RGB canvas and the one drawing operation the scenes need: a
// pictogram scaled, rotated and alpha-composited ("over") at a position,
// which reports the box it covers.
#pragma once

#include <vector>

#include "avr/media/image.h"
#include "avr/synth/emoji_atlas.h"

namespace avr {

struct Canvas {
  int width = 0;
  int height = 0;
  std::vector<float> rgb;  // [0, 1], row-major, 3 floats a pixel
  Canvas() = default;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 0.0f) {}
  float* at(int x, int y) { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
  Image to_image() const;  // rounds to 8 bits
};

// Pixel box: columns x0..x1-1, rows y0..y1-1 (x1, y1 exclusive).
struct Box {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  int area() const { return empty() ? 0 : (x1 - x0) * (y1 - y0); }
};

// Draws `sprite` with its longer side `size_px` long, centred at (cx, cy)
// (pixels; the canvas spans [0, width] x [0, height]), turned by `angle_deg`
// (counter-clockwise on screen). Bilinear from the mip level at most 2x larger
// than needed. Returns the box of the pixels where the pictogram's own alpha
// is >= 0.5, whatever is drawn over it later (an amodal box), clipped to the
// canvas.
Box draw_sprite(Canvas& canvas, const Sprite& sprite, double cx, double cy, double size_px,
                double angle_deg);

}  // namespace avr
