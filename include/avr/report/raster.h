// Drawing on avr::Image for figures: heatmaps blended over frames (sound
// source localization, the paper's Fig. 4/9), ground-truth boxes, resizing for
// display, amplified adversarial perturbations and montages.
#pragma once

#include <optional>
#include <vector>

#include "avr/media/image.h"
#include "avr/report/colormap.h"

namespace avr {

// A grid of scalars (an attention map, a class activation map), row-major.
struct Heatmap {
  int width = 0, height = 0;
  std::vector<float> values;
  Heatmap() = default;
  Heatmap(int w, int h) : width(w), height(h), values(static_cast<size_t>(w) * h, 0.f) {}
  float& at(int x, int y) { return values[static_cast<size_t>(y) * width + x]; }
  float at(int x, int y) const { return values[static_cast<size_t>(y) * width + x]; }
};

struct HeatmapOverlay {
  double alpha = 0.5;  // weight of the heatmap color; 0 shows the frame only
  Colormap colormap = Colormap::jet;
  // Values mapped to the colormap's ends; the map's own min/max when empty.
  std::optional<float> lo, hi;
  void validate() const;
};

// Bilinear resize with pixel centers aligned (align_corners = false, as
// cv2.resize and torch's interpolate default).
Heatmap resize_bilinear(const Heatmap& map, int width, int height);
Image resize_bilinear(const Image& image, int width, int height);
Image upscale_nearest(const Image& image, int factor);

// The heatmap normalized to [0, 1] and colored (same size as the map).
Image colorize(const Heatmap& map, Colormap colormap, std::optional<float> lo = std::nullopt,
               std::optional<float> hi = std::nullopt);
// The map resized to the image and blended over it: (1-α)·image + α·color.
// Non-finite map values are an error (they would be a broken model output).
Image overlay_heatmap(const Image& image, const Heatmap& map, const HeatmapOverlay& overlay = {});

// A rectangle outline with corners (x0, y0) and (x1, y1) inclusive, clipped
// to the image; thickness grows inwards.
void draw_rect(Image& image, int x0, int y0, int x1, int y1, Rgb color, int thickness = 2);

// |adversarial − clean| · gain per channel, clamped to 255: makes an
// imperceptible perturbation visible. Without a gain, the largest difference
// is mapped to 255 (and an all-zero difference stays black).
Image perturbation_image(const Image& clean, const Image& adversarial,
                         std::optional<double> gain = std::nullopt);

// Images in a grid of `columns`, each cell as large as the largest image,
// separated by `gap` px of background. Labels belong in the HTML (FigurePanel).
Image montage(const std::vector<Image>& images, int columns, int gap = 4,
              Rgb background = {255, 255, 255});

}  // namespace avr
