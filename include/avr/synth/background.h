// Procedural backgrounds behind the pictograms: linear gradients, soft blobs
// and stripes in random colours. Cheap, resolution-independent, and varied
// enough that "where the colourful thing is" needs the pictogram itself.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "avr/core/rng.h"
#include "avr/synth/compositor.h"

namespace avr {

enum class BackgroundKind { Gradient, Blobs, Stripes };
std::string background_kind_name(BackgroundKind kind);

using Rgb = std::array<float, 3>;

struct Blob {
  double x = 0.5, y = 0.5, radius = 0.2;  // fractions of the frame side
  Rgb color{};
};

struct Background {
  BackgroundKind kind = BackgroundKind::Gradient;
  Rgb color0{}, color1{};
  double angle = 0.0;   // radians: gradient direction, stripe normal
  double period = 0.2;  // stripes, fraction of the frame side
  std::vector<Blob> blobs;
};

Background random_background(Rng& rng);
// Fills the whole canvas.
void paint_background(const Background& background, Canvas& canvas);

}  // namespace avr
