#include "avr/report/colormap.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

// matplotlib's viridis sampled at t = i/9, interpolated linearly in between:
// smooth and monotone in lightness, which is all a display map needs.
constexpr uint8_t kViridis[10][3] = {{0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3e, 0x49, 0x89},
                                     {0x31, 0x68, 0x8e}, {0x26, 0x82, 0x8e}, {0x1f, 0x9e, 0x89},
                                     {0x35, 0xb7, 0x79}, {0x6e, 0xce, 0x58}, {0xb5, 0xde, 0x2b},
                                     {0xfd, 0xe7, 0x25}};

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); }

}  // namespace

Rgb colormap(Colormap map, double t) {
  AVR_ASSERT(std::isfinite(t), "colormap of a non-finite value");
  t = std::clamp(t, 0.0, 1.0);
  switch (map) {
    case Colormap::viridis: {
      const double p = t * 9;
      const int i = std::min(8, static_cast<int>(p));
      const double f = p - i;
      auto mix = [&](int c) {
        return static_cast<uint8_t>(std::lround(kViridis[i][c] * (1 - f) + kViridis[i + 1][c] * f));
      };
      return {mix(0), mix(1), mix(2)};
    }
    case Colormap::jet:  // MATLAB's jet: blue → cyan → yellow → red, each ramp a quarter
      return {to_byte(1.5 - std::abs(4 * t - 3)), to_byte(1.5 - std::abs(4 * t - 2)),
              to_byte(1.5 - std::abs(4 * t - 1))};
    case Colormap::gray: {
      const uint8_t v = to_byte(t);
      return {v, v, v};
    }
  }
  AVR_ASSERT(false, "unknown colormap");
  return {};
}

Colormap parse_colormap(const std::string& name) {
  if (name == "viridis") return Colormap::viridis;
  if (name == "jet") return Colormap::jet;
  if (name == "gray") return Colormap::gray;
  AVR_FAIL("unknown colormap '", name, "': use viridis, jet or gray");
}

std::string to_string(Colormap map) {
  switch (map) {
    case Colormap::viridis: return "viridis";
    case Colormap::jet: return "jet";
    case Colormap::gray: return "gray";
  }
  return "?";
}

}  // namespace avr
