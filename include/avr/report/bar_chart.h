// Grouped bar chart: one group per category (attack), one bar per series
// (model) inside each group, values printed on the bars; a standalone SVG.
#pragma once

#include <string>
#include <vector>

#include "avr/report/plot_style.h"

namespace avr {

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category; non-finite → no bar, marked "n/a"
};

struct BarChart {
  std::string title;
  std::string x_label;
  Axis y;  // bars start at 0 unless y.min says otherwise; log is not supported
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  bool value_labels = true;
  int value_decimals = 1;
  PlotStyle style;

  std::string to_svg() const;
};

}  // namespace avr
