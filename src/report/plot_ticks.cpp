// Axis arithmetic for the charts (declared in svg_canvas.h): coordinate
// formatting, "nice" 1-2-5 and log ticks, the value → pixel scale.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "avr/core/error.h"
#include "svg_canvas.h"

namespace avr::detail {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string tick_label(double v, double step, double magnitude) {
  if (v == 0) return "0";
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  if (magnitude >= 1e6 || decimals > 6) return fmt("%g", v);
  char f[16];
  std::snprintf(f, sizeof f, "%%.%df", decimals);
  return fmt(f, v);
}

double nice_step(double span, int approx) {
  const double raw = span / std::max(1, approx - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

Ticks log_ticks(const Axis& axis, double lo, double hi) {
  Ticks t;
  if (!axis.min) lo = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
  if (!axis.max) hi = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
  if (hi <= lo) hi = lo * 10;
  t.lo = lo;
  t.hi = hi;
  const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool fine = d1 - d0 <= 2;  // few decades: 1-2-5 ticks keep the axis readable
  for (int d = d0; d <= d1; ++d) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double v = m * std::pow(10.0, d);
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      t.values.push_back(v);
      t.labels.push_back(fmt("%g", v));
    }
  }
  return t;
}

}  // namespace

std::string num(double v) {
  AVR_ASSERT(std::isfinite(v), "non-finite coordinate reached the SVG writer");
  std::string s = fmt("%.2f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

bool usable(const Axis& axis, double v) { return std::isfinite(v) && (!axis.log || v > 0); }

Ticks make_ticks(const Axis& axis, double data_lo, double data_hi, const char* which) {
  AVR_CHECK(axis.ticks >= 2 && axis.ticks <= 50, which, ".ticks must be in [2, 50], got ",
            axis.ticks);
  AVR_CHECK(!axis.min || std::isfinite(*axis.min), which, ".min must be finite");
  AVR_CHECK(!axis.max || std::isfinite(*axis.max), which, ".max must be finite");
  AVR_CHECK(!(axis.min && axis.max) || *axis.min < *axis.max, which, ": min (", *axis.min,
            ") must be below max (", axis.max.value_or(0), ")");
  const bool no_data = !(data_lo <= data_hi);
  if (axis.log) {
    AVR_CHECK(!axis.min || *axis.min > 0, which, ": a log axis needs min > 0, got ", *axis.min);
    double lo = axis.min.value_or(no_data ? 1 : data_lo);
    double hi = axis.max.value_or(no_data ? 10 : data_hi);
    if (hi <= lo) {
      if (axis.max) lo = hi / 10; else hi = lo * 10;
    }
    return log_ticks(axis, lo, hi);
  }
  double lo = axis.min.value_or(no_data ? 0 : data_lo);
  double hi = axis.max.value_or(no_data ? 1 : data_hi);
  if (hi <= lo) {  // one value, or a fixed end on the wrong side of the data
    const double pad = lo != 0 ? std::abs(lo) * 0.1 : 1;
    if (axis.max) lo = hi - pad; else hi = lo + pad;
    if (!axis.max && !axis.min) lo -= pad;
  }
  const double step = nice_step(hi - lo, axis.ticks);
  if (!axis.min) lo = std::floor(lo / step + 1e-9) * step;
  if (!axis.max) hi = std::ceil(hi / step - 1e-9) * step;
  Ticks t;
  t.lo = lo;
  t.hi = hi;
  const double first = std::ceil(lo / step - 1e-9);
  const double magnitude = std::max(std::abs(lo), std::abs(hi));
  for (int i = 0;; ++i) {
    double v = (first + i) * step;
    if (v > hi + step * 1e-9) break;
    if (std::abs(v) < step * 1e-9) v = 0;
    t.values.push_back(v);
    t.labels.push_back(tick_label(v, step, magnitude));
  }
  return t;
}

double Scale::operator()(double v) const {
  const double a = log ? std::log10(lo) : lo;
  const double b = log ? std::log10(hi) : hi;
  const double u = log ? std::log10(v) : v;
  return px_lo + (u - a) / (b - a) * (px_hi - px_lo);
}

}  // namespace avr::detail
