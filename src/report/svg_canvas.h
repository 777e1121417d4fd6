// Internal drawing layer shared by the charts: an SVG string builder, value →
// pixel scales, "nice" ticks, the axes frame and a legend that flows under the
// plot. Not a public header: charts are the API.
#pragma once

#include <string>
#include <vector>

#include "avr/report/plot_style.h"

namespace avr::detail {

// Coordinates with at most two decimals, trailing zeros dropped; asserts the
// value is finite so "nan" can never reach a document.
std::string num(double v);

struct Ticks {
  double lo = 0, hi = 1;  // the axis ends (data range widened to whole steps when automatic)
  std::vector<double> values;
  std::vector<std::string> labels;
};
Ticks make_ticks(const Axis& axis, double data_lo, double data_hi, const char* which);

struct Scale {
  double lo = 0, hi = 1, px_lo = 0, px_hi = 1;
  bool log = false;
  double operator()(double v) const;
};

// A value usable on this axis: finite, and positive on a log axis.
bool usable(const Axis& axis, double v);

class SvgCanvas {
 public:
  SvgCanvas(const PlotStyle& style, const std::string& title);
  const PlotStyle& style() const { return style_; }

  void text(double x, double y, const std::string& s, double size, const char* anchor,
            const std::string& extra = "");
  void line(double x1, double y1, double x2, double y2, const std::string& color, double width,
            const std::string& extra = "");
  void rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& extra = "");
  // outline: a thin white ring so overlapping markers stay distinct.
  void marker(Marker m, double cx, double cy, double r, const std::string& color,
              bool outline = false, double opacity = 1);
  void raw(const std::string& s) { body_ += s; }
  std::string finish() const;

 private:
  PlotStyle style_;
  std::string title_;
  std::string body_;
};

// Approximate rendered width of text in a sans-serif font.
double text_width(const std::string& s, double size);

struct LegendEntry {
  std::string label;
  std::string color;
  Marker marker = Marker::none;
  enum Kind { line, box, point } kind = line;
  bool dashed = false;
};

// Height the legend needs when it flows over `width` px.
double legend_height(const std::vector<LegendEntry>& entries, const PlotStyle& style,
                     double width);
void draw_legend(SvgCanvas& c, const std::vector<LegendEntry>& entries, double x, double y,
                 double width);

// Plot area inside the chart after room for title, tick labels, axis labels and
// the legend, plus the scales that map into it.
struct Frame {
  double left = 0, top = 0, right = 0, bottom = 0;
  Scale x, y;
  double legend_y = 0;
};

struct FrameSpec {
  const std::string* title = nullptr;
  const Axis* x_axis = nullptr;  // null for a categorical x (bar chart)
  std::string x_label;
  const Axis* y_axis = nullptr;
  Ticks x_ticks, y_ticks;
  bool show_ticks = true;
  double extra_bottom = 0;  // e.g. rotated category labels
  const std::vector<LegendEntry>* legend = nullptr;
};
Frame layout_frame(const PlotStyle& style, const FrameSpec& spec);
// Title, grid, axis lines, ticks and labels.
void draw_frame(SvgCanvas& c, const Frame& f, const FrameSpec& spec);

}  // namespace avr::detail
