#include "svg_canvas.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"
#include "avr/report/markup.h"

namespace avr::detail {
namespace {

constexpr double kTickLen = 5;

}  // namespace

SvgCanvas::SvgCanvas(const PlotStyle& style, const std::string& title)
    : style_(style), title_(title) {
  style_.validate();
}

void SvgCanvas::text(double x, double y, const std::string& s, double size, const char* anchor,
                     const std::string& extra) {
  body_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(size) +
           "\" text-anchor=\"" + anchor + "\" fill=\"" + html_escape(style_.text_color) + "\"" +
           extra + ">" + html_escape(s) + "</text>\n";
}

void SvgCanvas::line(double x1, double y1, double x2, double y2, const std::string& color,
                     double width, const std::string& extra) {
  body_ += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
           num(y2) + "\" stroke=\"" + html_escape(color) + "\" stroke-width=\"" + num(width) +
           "\"" + extra + "/>\n";
}

void SvgCanvas::rect(double x, double y, double w, double h, const std::string& fill,
                     const std::string& extra) {
  body_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
           "\" height=\"" + num(h) + "\" fill=\"" + html_escape(fill) + "\"" + extra + "/>\n";
}

void SvgCanvas::marker(Marker m, double cx, double cy, double r, const std::string& color,
                       bool outline, double opacity) {
  const std::string alpha = opacity < 1 ? " fill-opacity=\"" + num(opacity) + "\"" : "";
  const std::string fill = " fill=\"" + html_escape(color) + "\"" + alpha +
                           (outline ? " stroke=\"#ffffff\" stroke-width=\"0.8\"" : "") + "/>\n";
  auto poly = [&](const std::vector<std::pair<double, double>>& pts) {
    std::string d;
    for (size_t i = 0; i < pts.size(); ++i)
      d += (i ? " L" : "M") + num(cx + pts[i].first) + "," + num(cy + pts[i].second);
    body_ += "<path d=\"" + d + " Z\"" + fill;
  };
  switch (m) {
    case Marker::none: return;
    case Marker::circle:
      body_ += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"" + num(r) + "\"" + fill;
      return;
    case Marker::square: {
      const double h = r * 0.9;
      body_ += "<rect x=\"" + num(cx - h) + "\" y=\"" + num(cy - h) + "\" width=\"" +
               num(2 * h) + "\" height=\"" + num(2 * h) + "\"" + fill;
      return;
    }
    case Marker::triangle: poly({{0, -r * 1.2}, {r * 1.1, r * 0.8}, {-r * 1.1, r * 0.8}}); return;
    case Marker::diamond: poly({{0, -r * 1.3}, {r, 0}, {0, r * 1.3}, {-r, 0}}); return;
    case Marker::star: {
      std::vector<std::pair<double, double>> pts;
      for (int i = 0; i < 10; ++i) {
        const double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 ? r * 0.6 : r * 1.45;
        pts.push_back({rr * std::cos(a), rr * std::sin(a)});
      }
      poly(pts);
      return;
    }
    case Marker::cross: {
      const double h = r * 0.95;
      body_ += "<path d=\"M" + num(cx - h) + "," + num(cy - h) + " L" + num(cx + h) + "," +
               num(cy + h) + " M" + num(cx - h) + "," + num(cy + h) + " L" + num(cx + h) + "," +
               num(cy - h) + "\" fill=\"none\" stroke=\"" + html_escape(color) +
               "\" stroke-width=\"" + num(std::max(1.5, r * 0.5)) + "\"" +
               (opacity < 1 ? " stroke-opacity=\"" + num(opacity) + "\"" : "") + "/>\n";
      return;
    }
  }
}

std::string SvgCanvas::finish() const {
  const std::string w = std::to_string(style_.width), h = std::to_string(style_.height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
         "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"" +
         html_escape(style_.font_family) + "\" role=\"img\">\n<title>" + html_escape(title_) +
         "</title>\n<rect width=\"" + w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n" + body_ +
         "</svg>\n";
}

double text_width(const std::string& s, double size) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;  // count UTF-8 code points
  return static_cast<double>(chars) * size * 0.58;
}

namespace {
double entry_width(const LegendEntry& e, const PlotStyle& st) {
  return (e.kind == LegendEntry::line ? 26 : 14) + 6 + text_width(e.label, st.tick_size) + 18;
}
double row_height(const PlotStyle& st) { return st.tick_size + 9; }
}  // namespace

double legend_height(const std::vector<LegendEntry>& entries, const PlotStyle& style,
                     double width) {
  if (entries.empty()) return 0;
  int rows = 1;
  double x = 0;
  for (const auto& e : entries) {
    const double w = entry_width(e, style);
    if (x > 0 && x + w > width) ++rows, x = 0;
    x += w;
  }
  return rows * row_height(style);
}

void draw_legend(SvgCanvas& c, const std::vector<LegendEntry>& entries, double x0, double y0,
                 double width) {
  const PlotStyle& st = c.style();
  double x = 0, y = y0 + row_height(st) / 2;
  for (const auto& e : entries) {
    const double w = entry_width(e, st);
    if (x > 0 && x + w > width) x = 0, y += row_height(st);
    const double sx = x0 + x;
    double tx = sx + 14 + 6;
    if (e.kind == LegendEntry::line) {
      c.line(sx, y, sx + 26, y, e.color, st.line_width,
             e.dashed ? " stroke-dasharray=\"6 4\"" : "");
      c.marker(e.marker, sx + 13, y, st.marker_size, e.color);
      tx = sx + 26 + 6;
    } else if (e.kind == LegendEntry::box) {
      c.rect(sx, y - 6, 12, 12, e.color);
    } else {
      c.marker(e.marker == Marker::none ? Marker::circle : e.marker, sx + 6, y, st.marker_size,
               e.color);
    }
    c.text(tx, y + st.tick_size * 0.35, e.label, st.tick_size, "start");
    x += w;
  }
}

Frame layout_frame(const PlotStyle& st, const FrameSpec& spec) {
  Frame f;
  const bool has_title = spec.title && !spec.title->empty();
  f.top = has_title ? st.title_size + 20 : 14;
  double y_tick_w = 0;
  if (spec.show_ticks)
    for (const auto& l : spec.y_ticks.labels) y_tick_w = std::max(y_tick_w, text_width(l, st.tick_size));
  const bool y_label = spec.y_axis && !spec.y_axis->label.empty();
  f.left = 10 + (y_label ? st.label_size + 10 : 0) + y_tick_w + kTickLen + 4;
  double last_x_w = 0;
  if (spec.show_ticks && !spec.x_ticks.labels.empty())
    last_x_w = text_width(spec.x_ticks.labels.back(), st.tick_size);
  f.right = st.width - std::max(18.0, last_x_w / 2 + 6);
  const double tick_h = spec.show_ticks || !spec.x_axis ? st.tick_size + kTickLen + 6 : 6;
  const std::string& xl = spec.x_axis ? spec.x_axis->label : spec.x_label;
  const double label_h = xl.empty() ? 0 : st.label_size + 10;
  const double legend_h = spec.legend ? legend_height(*spec.legend, st, f.right - f.left) : 0;
  f.bottom = st.height - 10 - legend_h - (legend_h > 0 ? 8 : 0) - label_h - tick_h -
             spec.extra_bottom;
  AVR_CHECK(f.bottom - f.top >= 60 && f.right - f.left >= 80,
            "chart '", spec.title ? *spec.title : "", "' has no room left for its plot area (",
            st.width, "x", st.height, " px with ", legend_h, " px of legend): raise style.width/height");
  f.legend_y = f.bottom + tick_h + label_h + spec.extra_bottom + 6;
  f.x = Scale{spec.x_ticks.lo, spec.x_ticks.hi, f.left, f.right, spec.x_axis && spec.x_axis->log};
  f.y = Scale{spec.y_ticks.lo, spec.y_ticks.hi, f.bottom, f.top, spec.y_axis && spec.y_axis->log};
  return f;
}

void draw_frame(SvgCanvas& c, const Frame& f, const FrameSpec& spec) {
  const PlotStyle& st = c.style();
  if (spec.title && !spec.title->empty())
    c.text(st.width / 2.0, st.title_size + 6, *spec.title, st.title_size, "middle",
           " font-weight=\"600\"");
  const std::string axis_color = "#555555";
  if (spec.show_ticks) {
    for (size_t i = 0; i < spec.y_ticks.values.size(); ++i) {
      const double y = f.y(spec.y_ticks.values[i]);
      if (spec.y_axis && spec.y_axis->grid) c.line(f.left, y, f.right, y, st.grid_color, 1);
      c.line(f.left - kTickLen, y, f.left, y, axis_color, 1);
      c.text(f.left - kTickLen - 3, y + st.tick_size * 0.35, spec.y_ticks.labels[i], st.tick_size,
             "end");
    }
    if (spec.x_axis) {
      for (size_t i = 0; i < spec.x_ticks.values.size(); ++i) {
        const double x = f.x(spec.x_ticks.values[i]);
        if (spec.x_axis->grid) c.line(x, f.top, x, f.bottom, st.grid_color, 1);
        c.line(x, f.bottom, x, f.bottom + kTickLen, axis_color, 1);
        c.text(x, f.bottom + kTickLen + st.tick_size + 1, spec.x_ticks.labels[i], st.tick_size,
               "middle");
      }
    }
  }
  c.line(f.left, f.top, f.left, f.bottom, axis_color, 1);
  c.line(f.left, f.bottom, f.right, f.bottom, axis_color, 1);
  const std::string& xl = spec.x_axis ? spec.x_axis->label : spec.x_label;
  if (!xl.empty()) {
    const double tick_h = spec.show_ticks || !spec.x_axis ? st.tick_size + kTickLen + 6 : 6;
    c.text((f.left + f.right) / 2, f.bottom + tick_h + spec.extra_bottom + st.label_size + 2, xl,
           st.label_size, "middle");
  }
  if (spec.y_axis && !spec.y_axis->label.empty()) {
    const double x = 10 + st.label_size * 0.8, y = (f.top + f.bottom) / 2;
    c.text(x, y, spec.y_axis->label, st.label_size, "middle",
           " transform=\"rotate(-90 " + num(x) + " " + num(y) + ")\"");
  }
  if (spec.legend && !spec.legend->empty())
    draw_legend(c, *spec.legend, f.left, f.legend_y, f.right - f.left);
}

}  // namespace avr::detail
