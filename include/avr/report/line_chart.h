// Line chart of several named series against a numeric x (accuracy vs attack
// strength, as in the paper's Fig. 3/7/8), rendered to a standalone SVG string.
#pragma once

#include <string>
#include <vector>

#include "avr/report/plot_style.h"

namespace avr {

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; a non-finite y leaves a gap in the line
  bool dashed = false;       // e.g. unimodal baselines next to the fused models
};

struct LineChart {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  std::vector<RefLine> ref_lines;  // horizontal, at y = value
  std::vector<RefLine> x_marks;    // vertical, at x = value, labelled at the top
  bool markers = true;
  PlotStyle style;

  // Throws avr::Error on mismatched x/y lengths or an unusable style or axis.
  std::string to_svg() const;
};

}  // namespace avr
