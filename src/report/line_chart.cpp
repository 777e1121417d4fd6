#include "avr/report/line_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "avr/core/error.h"
#include "avr/report/markup.h"
#include "svg_canvas.h"

namespace avr {

std::string LineChart::to_svg() const {
  using namespace detail;
  constexpr double inf = std::numeric_limits<double>::infinity();
  double x_lo = inf, x_hi = -inf, y_lo = inf, y_hi = -inf;
  for (const auto& s : series) {
    AVR_CHECK(s.x.size() == s.y.size(), "line chart '", title, "': series '", s.name, "' has ",
              s.x.size(), " x values but ", s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(x, s.x[i]) || !usable(y, s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
    }
  }
  for (const auto& r : ref_lines)
    if (usable(y, r.value)) y_lo = std::min(y_lo, r.value), y_hi = std::max(y_hi, r.value);
  for (const auto& m : x_marks)
    if (usable(x, m.value)) x_lo = std::min(x_lo, m.value), x_hi = std::max(x_hi, m.value);

  std::vector<LegendEntry> legend;
  const auto& pal = style.palette;
  const auto& mk = marker_cycle();
  for (size_t k = 0; k < series.size(); ++k)
    legend.push_back({series[k].name, pal[k % pal.size()], markers ? mk[k % mk.size()] : Marker::none,
                      LegendEntry::line, series[k].dashed});

  FrameSpec spec;
  spec.title = &title;
  spec.x_axis = &x;
  spec.y_axis = &y;
  spec.x_ticks = make_ticks(x, x_lo, x_hi, "LineChart.x");
  spec.y_ticks = make_ticks(y, y_lo, y_hi, "LineChart.y");
  spec.legend = &legend;
  SvgCanvas c(style, title);
  const Frame f = layout_frame(c.style(), spec);
  draw_frame(c, f, spec);

  // Points outside a fixed axis range are clamped to the frame's edge rather
  // than drawn over the labels; the clamp is visible as a flat run.
  auto px = [&](double v) { return std::clamp(f.x(v), f.left, f.right); };
  auto py = [&](double v) { return std::clamp(f.y(v), f.top, f.bottom); };
  for (const auto& r : ref_lines) {
    if (!usable(y, r.value)) continue;
    const double yy = py(r.value);
    c.line(f.left, yy, f.right, yy, "#777777", 1.2, " stroke-dasharray=\"2 3\"");
    // Labelled at the left, where accuracy curves start high and rarely cross it.
    c.text(f.left + 4, yy - 4, r.label, style.tick_size, "start", " fill-opacity=\"0.85\"");
  }
  for (const auto& m : x_marks) {
    if (!usable(x, m.value)) continue;
    const double xx = px(m.value);
    c.line(xx, f.top, xx, f.bottom, "#b03030", 1.2, " stroke-dasharray=\"4 3\"");
    // Labelled beside the line, on the side with room for the text.
    const bool right_half = xx > (f.left + f.right) / 2;
    c.text(right_half ? xx - 3 : xx + 3, f.top + style.tick_size + 2, m.label, style.tick_size,
           right_half ? "end" : "start");
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const std::string color = pal[k % pal.size()];
    // Sorted by x so a series given out of order still draws left to right.
    std::vector<size_t> order(s.x.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return usable(x, s.x[a]) && usable(x, s.x[b]) ? s.x[a] < s.x[b] : usable(x, s.x[a]);
    });
    std::string d;
    bool pen_down = false;
    for (size_t i : order) {
      if (!usable(x, s.x[i]) || !usable(y, s.y[i])) {
        pen_down = false;  // a missing value splits the line into separate runs
        continue;
      }
      d += (pen_down ? " L" : (d.empty() ? "M" : " M")) + num(px(s.x[i])) + "," + num(py(s.y[i]));
      pen_down = true;
    }
    c.raw("<g class=\"series\" data-name=\"" + html_escape(s.name) + "\">\n");
    if (!d.empty())
      c.raw("<path d=\"" + d + "\" fill=\"none\" stroke=\"" + html_escape(color) +
            "\" stroke-width=\"" + num(style.line_width) +
            "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"" +
            (s.dashed ? " stroke-dasharray=\"7 4\"" : "") + "/>\n");
    if (markers)
      for (size_t i : order)
        if (usable(x, s.x[i]) && usable(y, s.y[i]))
          c.marker(mk[k % mk.size()], px(s.x[i]), py(s.y[i]), style.marker_size, color, true);
    c.raw("</g>\n");
  }
  return c.finish();
}

}  // namespace avr
