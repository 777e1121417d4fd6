#include "avr/report/raster.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "avr/core/error.h"

namespace avr {
namespace {

void check_image(const Image& im, const char* what) {
  AVR_CHECK(im.width > 0 && im.height > 0 &&
                im.rgb.size() == static_cast<size_t>(im.width) * im.height * 3,
            what, ": expected a non-empty RGB image, got ", im.width, "x", im.height);
}

void check_map(const Heatmap& m, const char* what) {
  AVR_CHECK(m.width > 0 && m.height > 0 &&
                m.values.size() == static_cast<size_t>(m.width) * m.height,
            what, ": expected a non-empty heatmap, got ", m.width, "x", m.height, " with ",
            m.values.size(), " values");
  for (size_t i = 0; i < m.values.size(); ++i)
    AVR_CHECK(std::isfinite(m.values[i]), what, ": heatmap value ", i, " (x ", i % m.width,
              ", y ", i / m.width, ") is not finite; check the model output that produced it");
}

// Source coordinate and weight for destination index d (align_corners = false).
struct Tap {
  int i0, i1;
  float w1;
};
Tap tap(int d, int src_size, int dst_size) {
  const float s = (d + 0.5f) * src_size / dst_size - 0.5f;
  const float c = std::clamp(s, 0.f, static_cast<float>(src_size - 1));
  const int i0 = static_cast<int>(std::floor(c));
  return {i0, std::min(i0 + 1, src_size - 1), c - i0};
}

// Bilinear interpolation of `channels` interleaved floats per pixel.
template <typename Get, typename Put>
void bilinear(int sw, int sh, int dw, int dh, int channels, Get get, Put put) {
  for (int y = 0; y < dh; ++y) {
    const Tap ty = tap(y, sh, dh);
    for (int x = 0; x < dw; ++x) {
      const Tap tx = tap(x, sw, dw);
      for (int c = 0; c < channels; ++c) {
        const float top = get(tx.i0, ty.i0, c) * (1 - tx.w1) + get(tx.i1, ty.i0, c) * tx.w1;
        const float bot = get(tx.i0, ty.i1, c) * (1 - tx.w1) + get(tx.i1, ty.i1, c) * tx.w1;
        put(x, y, c, top * (1 - ty.w1) + bot * ty.w1);
      }
    }
  }
}

}  // namespace

void HeatmapOverlay::validate() const {
  AVR_CHECK(alpha >= 0 && alpha <= 1, "HeatmapOverlay.alpha must be in [0, 1], got ", alpha);
  AVR_CHECK(!(lo && hi) || *lo < *hi, "HeatmapOverlay: lo must be below hi");
}

Heatmap resize_bilinear(const Heatmap& map, int width, int height) {
  check_map(map, "resize_bilinear");
  AVR_CHECK(width > 0 && height > 0, "resize_bilinear: target size must be positive, got ", width,
            "x", height);
  Heatmap out(width, height);
  bilinear(map.width, map.height, width, height, 1,
           [&](int x, int y, int) { return map.at(x, y); },
           [&](int x, int y, int, float v) { out.at(x, y) = v; });
  return out;
}

Image resize_bilinear(const Image& image, int width, int height) {
  check_image(image, "resize_bilinear");
  AVR_CHECK(width > 0 && height > 0, "resize_bilinear: target size must be positive, got ", width,
            "x", height);
  Image out(width, height);
  bilinear(image.width, image.height, width, height, 3,
           [&](int x, int y, int c) { return static_cast<float>(image.at(x, y)[c]); },
           [&](int x, int y, int c, float v) {
             out.at(x, y)[c] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
           });
  return out;
}

Image upscale_nearest(const Image& image, int factor) {
  check_image(image, "upscale_nearest");
  AVR_CHECK(factor >= 1 && factor <= 64, "upscale_nearest: factor must be in [1, 64], got ", factor);
  Image out(image.width * factor, image.height * factor);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* s = image.at(x / factor, y / factor);
      std::copy(s, s + 3, out.at(x, y));
    }
  return out;
}

Image colorize(const Heatmap& map, Colormap colormap, std::optional<float> lo,
               std::optional<float> hi) {
  check_map(map, "colorize");
  const auto [mn, mx] = std::minmax_element(map.values.begin(), map.values.end());
  const float a = lo.value_or(*mn), b = hi.value_or(*mx);
  AVR_CHECK(a <= b, "colorize: lo (", a, ") must not exceed hi (", b, ")");
  Image out(map.width, map.height);
  for (int y = 0; y < map.height; ++y)
    for (int x = 0; x < map.width; ++x) {
      // A constant map has no contrast to show: it maps to the colormap's middle.
      const double t = b > a ? (map.at(x, y) - a) / static_cast<double>(b - a) : 0.5;
      const Rgb c = avr::colormap(colormap, t);
      uint8_t* p = out.at(x, y);
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
  return out;
}

Image overlay_heatmap(const Image& image, const Heatmap& map, const HeatmapOverlay& overlay) {
  check_image(image, "overlay_heatmap");
  overlay.validate();
  const Image color = colorize(resize_bilinear(map, image.width, image.height), overlay.colormap,
                               overlay.lo, overlay.hi);
  Image out(image.width, image.height);
  for (size_t i = 0; i < out.rgb.size(); ++i)
    out.rgb[i] = static_cast<uint8_t>(
        std::lround((1 - overlay.alpha) * image.rgb[i] + overlay.alpha * color.rgb[i]));
  return out;
}

void draw_rect(Image& image, int x0, int y0, int x1, int y1, Rgb color, int thickness) {
  check_image(image, "draw_rect");
  AVR_CHECK(thickness >= 1, "draw_rect: thickness must be >= 1, got ", thickness);
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  auto put = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
    uint8_t* p = image.at(x, y);
    p[0] = color.r, p[1] = color.g, p[2] = color.b;
  };
  for (int t = 0; t < thickness; ++t) {
    if (x0 + t > x1 - t || y0 + t > y1 - t) break;
    for (int x = x0 + t; x <= x1 - t; ++x) put(x, y0 + t), put(x, y1 - t);
    for (int y = y0 + t; y <= y1 - t; ++y) put(x0 + t, y), put(x1 - t, y);
  }
}

Image perturbation_image(const Image& clean, const Image& adversarial, std::optional<double> gain) {
  check_image(clean, "perturbation_image (clean)");
  check_image(adversarial, "perturbation_image (adversarial)");
  AVR_CHECK(clean.width == adversarial.width && clean.height == adversarial.height,
            "perturbation_image: clean is ", clean.width, "x", clean.height, " but adversarial is ",
            adversarial.width, "x", adversarial.height);
  AVR_CHECK(!gain || (std::isfinite(*gain) && *gain > 0), "perturbation_image: gain must be > 0");
  int largest = 0;
  for (size_t i = 0; i < clean.rgb.size(); ++i)
    largest = std::max(largest, std::abs(int{adversarial.rgb[i]} - int{clean.rgb[i]}));
  const double k = gain ? *gain : largest > 0 ? 255.0 / largest : 1.0;
  Image out(clean.width, clean.height);
  for (size_t i = 0; i < out.rgb.size(); ++i) {
    const double d = std::abs(int{adversarial.rgb[i]} - int{clean.rgb[i]}) * k;
    out.rgb[i] = static_cast<uint8_t>(std::min(255L, std::lround(d)));
  }
  return out;
}

Image montage(const std::vector<Image>& images, int columns, int gap, Rgb background) {
  AVR_CHECK(!images.empty(), "montage: no images");
  AVR_CHECK(columns >= 1, "montage: columns must be >= 1, got ", columns);
  AVR_CHECK(gap >= 0, "montage: gap must be >= 0, got ", gap);
  int cw = 0, ch = 0;
  for (const auto& im : images) {
    check_image(im, "montage");
    cw = std::max(cw, im.width), ch = std::max(ch, im.height);
  }
  const int cols = std::min<int>(columns, static_cast<int>(images.size()));
  const int rows = (static_cast<int>(images.size()) + cols - 1) / cols;
  Image out(cols * cw + (cols - 1) * gap, rows * ch + (rows - 1) * gap);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      uint8_t* p = out.at(x, y);
      p[0] = background.r, p[1] = background.g, p[2] = background.b;
    }
  for (size_t k = 0; k < images.size(); ++k) {
    const Image& im = images[k];
    // Each image is centered in its cell.
    const int ox = static_cast<int>(k % cols) * (cw + gap) + (cw - im.width) / 2;
    const int oy = static_cast<int>(k / cols) * (ch + gap) + (ch - im.height) / 2;
    for (int y = 0; y < im.height; ++y)
      std::copy(im.at(0, y), im.at(0, y) + im.width * 3, out.at(ox, oy + y));
  }
  return out;
}

}  // namespace avr
