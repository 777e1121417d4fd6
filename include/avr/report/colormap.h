// Colormaps that turn a value in [0, 1] into a color for heatmaps and
// spectrograms: viridis (perceptually uniform, colorblind-safe: the default)
// and jet (what the authors' localization figures use, for comparison).
#pragma once

#include <cstdint>
#include <string>

namespace avr {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

enum class Colormap { viridis, jet, gray };

// t is clamped to [0, 1]; a non-finite t is a bug of the caller (asserted).
Rgb colormap(Colormap map, double t);

// "viridis" | "jet" | "gray", for settings read from JSON or flags.
Colormap parse_colormap(const std::string& name);
std::string to_string(Colormap map);

}  // namespace avr
