#include "avr/report/plot_style.h"

#include <cmath>

#include "avr/core/error.h"

namespace avr {

const std::vector<std::string>& colorblind_palette() {
  static const std::vector<std::string> p = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                             "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
  return p;
}

const std::vector<Marker>& marker_cycle() {
  static const std::vector<Marker> m = {Marker::circle, Marker::square,  Marker::triangle,
                                        Marker::diamond, Marker::star, Marker::cross};
  return m;
}

void PlotStyle::validate() const {
  AVR_CHECK(width >= 160 && width <= 10000, "PlotStyle.width must be in [160, 10000] px, got ",
            width);
  AVR_CHECK(height >= 120 && height <= 10000,
            "PlotStyle.height must be in [120, 10000] px, got ", height);
  for (double v : {title_size, label_size, tick_size})
    AVR_CHECK(std::isfinite(v) && v >= 4 && v <= 72, "PlotStyle font sizes must be in [4, 72] px");
  AVR_CHECK(std::isfinite(line_width) && line_width > 0, "PlotStyle.line_width must be > 0");
  AVR_CHECK(std::isfinite(marker_size) && marker_size > 0, "PlotStyle.marker_size must be > 0");
  AVR_CHECK(!palette.empty(), "PlotStyle.palette must hold at least one color");
}

}  // namespace avr
