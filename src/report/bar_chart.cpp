#include "avr/report/bar_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "avr/core/error.h"
#include "avr/report/markup.h"
#include "svg_canvas.h"

namespace avr {

std::string BarChart::to_svg() const {
  using namespace detail;
  AVR_CHECK(!y.log, "bar chart '", title, "': a log y axis is not supported (bars start at 0)");
  AVR_CHECK(!categories.empty(), "bar chart '", title, "' has no categories");
  AVR_CHECK(value_decimals >= 0 && value_decimals <= 6, "bar chart '", title,
            "': value_decimals must be in [0, 6]");
  double lo = 0, hi = 0;  // bars grow from 0, so 0 is always in range
  for (const auto& s : series) {
    AVR_CHECK(s.values.size() == categories.size(), "bar chart '", title, "': series '", s.name,
              "' has ", s.values.size(), " values for ", categories.size(), " categories");
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  SvgCanvas c(style, title);
  const PlotStyle& st = c.style();

  std::vector<LegendEntry> legend;
  for (size_t k = 0; k < series.size(); ++k)
    legend.push_back({series[k].name, st.palette[k % st.palette.size()], Marker::none,
                      LegendEntry::box});

  FrameSpec spec;
  spec.title = &title;
  spec.x_label = x_label;
  spec.y_axis = &y;
  spec.y_ticks = make_ticks(y, lo, hi, "BarChart.y");
  spec.legend = &legend;
  // Long category names are turned 35° so neighbours do not overlap.
  const double approx_group_w = (st.width - 80.0) / categories.size();
  double widest = 0;
  for (const auto& cat : categories) widest = std::max(widest, text_width(cat, st.tick_size));
  const bool rotate = widest > approx_group_w - 6;
  if (rotate) spec.extra_bottom = widest * std::sin(35 * M_PI / 180);
  const Frame f = layout_frame(st, spec);
  draw_frame(c, f, spec);

  const double group_w = (f.right - f.left) / categories.size();
  const size_t n = std::max<size_t>(1, series.size());
  const double bar_w = group_w * 0.8 / n;
  const double base = f.y(std::clamp(0.0, spec.y_ticks.lo, spec.y_ticks.hi));
  const double label_size = st.tick_size - 1;
  for (size_t g = 0; g < categories.size(); ++g) {
    const double gx = f.left + g * group_w;
    const double cx = gx + group_w / 2, ty = f.bottom + 5 + st.tick_size + 1;
    if (rotate)
      c.text(cx, ty, categories[g], st.tick_size, "end",
             " transform=\"rotate(-35 " + num(cx) + " " + num(ty) + ")\"");
    else
      c.text(cx, ty, categories[g], st.tick_size, "middle");
    if (g > 0) c.line(gx, f.bottom, gx, f.bottom + 5, "#555555", 1);
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const std::string color = st.palette[k % st.palette.size()];
    c.raw("<g class=\"series\" data-name=\"" + html_escape(series[k].name) + "\">\n");
    for (size_t g = 0; g < categories.size(); ++g) {
      const double v = series[k].values[g];
      const double bx = f.left + g * group_w + group_w * 0.1 + k * bar_w;
      const double mid = bx + bar_w / 2;
      if (!std::isfinite(v)) {
        c.text(mid, base - 4, "n/a", label_size, "middle", " fill-opacity=\"0.6\"");
        continue;
      }
      const double top = std::clamp(f.y(v), f.top, f.bottom);
      c.rect(bx + 0.5, std::min(top, base), std::max(bar_w - 1, 1.0), std::abs(base - top), color);
      if (!value_labels) continue;
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.*f", value_decimals, v);
      const double ly = v >= 0 ? top - 4 : top + label_size + 2;
      if (text_width(buf, label_size) <= bar_w + 6)
        c.text(mid, ly, buf, label_size, "middle");
      else  // too narrow for upright digits: write them up the bar's axis
        c.text(mid + label_size * 0.35, ly, buf, label_size, v >= 0 ? "start" : "end",
               " transform=\"rotate(-90 " + num(mid + label_size * 0.35) + " " + num(ly) + ")\"");
    }
    c.raw("</g>\n");
  }
  return c.finish();
}

}  // namespace avr
