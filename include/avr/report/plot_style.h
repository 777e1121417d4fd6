// What every SVG chart shares: its size, fonts and colors (PlotStyle), how an
// axis maps values (Axis) and the marker shapes that tell series apart
// without relying on color alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace avr {

// Okabe & Ito's palette, readable with every common color-vision deficiency;
// the yellow is last because it is faint on white.
const std::vector<std::string>& colorblind_palette();

enum class Marker { circle, square, triangle, diamond, star, cross, none };
// Series k gets marker k modulo this list, so k and k+8 (same color) differ.
const std::vector<Marker>& marker_cycle();

struct PlotStyle {
  int width = 480;   // px: two charts side by side in the report's ~1000 px column
  int height = 340;
  std::string font_family =
      "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
  double title_size = 16;  // px
  double label_size = 13;  // axis labels
  double tick_size = 12;   // tick labels and legend
  double line_width = 2;
  double marker_size = 4.5;  // radius-like half size in px
  std::vector<std::string> palette = colorblind_palette();
  std::string grid_color = "#e3e3e3";
  std::string text_color = "#222222";

  // Throws avr::Error naming the field when a value cannot draw a chart.
  void validate() const;
};

struct Axis {
  std::string label;
  std::optional<double> min, max;  // fixed ends; nice automatic ends where empty
  bool log = false;                // base 10; values <= 0 are then missing data
  int ticks = 6;                   // roughly how many ticks (1-2-5 steps)
  bool grid = true;
};

// A horizontal reference line (chance level, clean accuracy) with its label; as
// a vertical marker (LineChart::x_marks), an x position such as a crossing ε*.
struct RefLine {
  double value = 0;
  std::string label;
};

}  // namespace avr
