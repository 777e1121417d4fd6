#include "avr/report/scatter_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "avr/core/error.h"
#include "avr/report/markup.h"
#include "svg_canvas.h"

namespace avr {
namespace {

// Beyond the palette, classes get hues a golden angle apart: distinct enough
// for 30 classes, though no palette of that size is colorblind-safe.
std::string class_color(size_t k, const std::vector<std::string>& palette) {
  if (k < palette.size()) return palette[k];
  const double h = std::fmod((k - palette.size()) * 137.508 + 20, 360.0) / 60.0;
  const double s = 0.65, l = (k / palette.size()) % 2 ? 0.38 : 0.55;
  const double ch = (1 - std::abs(2 * l - 1)) * s, x = ch * (1 - std::abs(std::fmod(h, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = ch, g = x; break;
    case 1: r = x, g = ch; break;
    case 2: g = ch, b = x; break;
    case 3: g = x, b = ch; break;
    case 4: r = x, b = ch; break;
    default: r = ch, b = x;
  }
  const double m = l - ch / 2;
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02X%02X%02X", static_cast<int>(std::lround((r + m) * 255)),
                static_cast<int>(std::lround((g + m) * 255)),
                static_cast<int>(std::lround((b + m) * 255)));
  return buf;
}

}  // namespace

std::string ScatterPlot::to_svg() const {
  using namespace detail;
  AVR_CHECK(opacity > 0 && opacity <= 1, "scatter plot '", title, "': opacity must be in (0, 1]");
  constexpr double inf = std::numeric_limits<double>::infinity();
  double x_lo = inf, x_hi = -inf, y_lo = inf, y_hi = -inf;
  for (const auto& g : groups) {
    AVR_CHECK(g.x.size() == g.y.size() && g.x.size() == g.cls.size(), "scatter plot '", title,
              "': group '", g.name, "' needs as many classes as points (x ", g.x.size(), ", y ",
              g.y.size(), ", cls ", g.cls.size(), ")");
    for (size_t i = 0; i < g.x.size(); ++i) {
      AVR_CHECK(g.cls[i] >= 0 && static_cast<size_t>(g.cls[i]) < classes.size(), "scatter plot '",
                title, "': group '", g.name, "' point ", i, " has class ", g.cls[i], " but only ",
                classes.size(), " class names were given");
      if (!usable(x, g.x[i]) || !usable(y, g.y[i])) continue;
      x_lo = std::min(x_lo, g.x[i]), x_hi = std::max(x_hi, g.x[i]);
      y_lo = std::min(y_lo, g.y[i]), y_hi = std::max(y_hi, g.y[i]);
    }
  }
  SvgCanvas c(style, title);
  const PlotStyle& st = c.style();
  std::vector<LegendEntry> legend;
  for (size_t k = 0; k < classes.size(); ++k)
    legend.push_back({classes[k], class_color(k, st.palette), Marker::circle, LegendEntry::point});
  if (groups.size() > 1)  // shapes only need a key when they differ
    for (const auto& g : groups)
      legend.push_back({g.name, "#555555", g.marker, LegendEntry::point});

  FrameSpec spec;
  spec.title = &title;
  spec.x_axis = &x;
  spec.y_axis = &y;
  spec.show_ticks = show_axes;
  spec.x_ticks = make_ticks(x, x_lo, x_hi, "ScatterPlot.x");
  spec.y_ticks = make_ticks(y, y_lo, y_hi, "ScatterPlot.y");
  spec.legend = &legend;
  const Frame f = layout_frame(st, spec);
  draw_frame(c, f, spec);
  for (const auto& g : groups) {
    c.raw("<g class=\"group\" data-name=\"" + html_escape(g.name) + "\">\n");
    for (size_t i = 0; i < g.x.size(); ++i) {
      if (!usable(x, g.x[i]) || !usable(y, g.y[i])) continue;
      c.marker(g.marker, std::clamp(f.x(g.x[i]), f.left, f.right),
               std::clamp(f.y(g.y[i]), f.top, f.bottom), st.marker_size,
               class_color(static_cast<size_t>(g.cls[i]), st.palette), false, opacity);
    }
    c.raw("</g>\n");
  }
  return c.finish();
}

}  // namespace avr
