// Scatter plot of 2-D embeddings (t-SNE, the paper's Fig. 5/10/11): color is
// the class, marker shape the group (audio ●, visual ▲, attacked ★); a
// standalone SVG with one legend for classes and one for groups.
#pragma once

#include <string>
#include <vector>

#include "avr/report/plot_style.h"

namespace avr {

struct ScatterGroup {
  std::string name;  // "audio", "visual", "attacked audio"
  Marker marker = Marker::circle;
  std::vector<double> x, y;  // same length; points with a non-finite coordinate are skipped
  std::vector<int> cls;      // class index into ScatterPlot::classes, one per point
};

struct ScatterPlot {
  std::string title;
  Axis x, y;
  bool show_axes = true;  // t-SNE coordinates mean nothing: turn ticks off
  std::vector<std::string> classes;
  std::vector<ScatterGroup> groups;
  double opacity = 0.8;
  PlotStyle style;

  std::string to_svg() const;
};

}  // namespace avr
