#include "avr/report/raster.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "avr/core/error.h"

namespace avr {
namespace {

Rgb px(const Image& im, int x, int y) {
  const uint8_t* p = im.at(x, y);
  return {p[0], p[1], p[2]};
}

Image filled(int w, int h, Rgb c) {
  Image im(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) im.at(x, y)[0] = c.r, im.at(x, y)[1] = c.g, im.at(x, y)[2] = c.b;
  return im;
}

TEST(Colormap, EndpointsMatchTheReferenceMaps) {
  EXPECT_EQ(colormap(Colormap::viridis, 0), (Rgb{0x44, 0x01, 0x54}));
  EXPECT_EQ(colormap(Colormap::viridis, 1), (Rgb{0xfd, 0xe7, 0x25}));
  EXPECT_EQ(colormap(Colormap::viridis, 5.0 / 9), (Rgb{0x1f, 0x9e, 0x89}));
  EXPECT_EQ(colormap(Colormap::jet, 0), (Rgb{0, 0, 128}));
  EXPECT_EQ(colormap(Colormap::jet, 0.5), (Rgb{128, 255, 128}));
  EXPECT_EQ(colormap(Colormap::jet, 1), (Rgb{128, 0, 0}));
  EXPECT_EQ(colormap(Colormap::gray, 2.0), (Rgb{255, 255, 255})) << "clamped";
  EXPECT_EQ(parse_colormap(to_string(Colormap::jet)), Colormap::jet);
  EXPECT_THROW(parse_colormap("rainbow"), Error);
}

TEST(Colormap, ViridisGetsLighterMonotonically) {
  double last = -1;
  for (int i = 0; i <= 100; ++i) {
    const Rgb c = colormap(Colormap::viridis, i / 100.0);
    const double luma = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    EXPECT_GE(luma, last - 0.5) << "t = " << i / 100.0;
    last = luma;
  }
}

TEST(Raster, BilinearResizeAlignsPixelCenters) {
  Heatmap m(2, 1);
  m.values = {0.f, 1.f};
  const Heatmap r = resize_bilinear(m, 4, 1);
  EXPECT_FLOAT_EQ(r.values[0], 0.f);
  EXPECT_FLOAT_EQ(r.values[1], 0.25f);
  EXPECT_FLOAT_EQ(r.values[2], 0.75f);
  EXPECT_FLOAT_EQ(r.values[3], 1.f);
  Image im = filled(2, 2, {0, 0, 0});
  im.at(1, 1)[0] = 200;
  const Image big = resize_bilinear(im, 4, 4);
  EXPECT_EQ(big.at(3, 3)[0], 200);
  EXPECT_EQ(big.at(0, 0)[0], 0);
  EXPECT_EQ(big.at(2, 2)[0], std::lround(200 * 0.75 * 0.75));
}

TEST(Raster, NearestUpscaleRepeatsPixels) {
  Image im(2, 2);
  im.at(1, 0)[1] = 77;
  const Image up = upscale_nearest(im, 3);
  EXPECT_EQ(up.width, 6);
  EXPECT_EQ(up.at(4, 1)[1], 77);
  EXPECT_EQ(up.at(2, 1)[1], 0);
  EXPECT_THROW(upscale_nearest(im, 0), Error);
}

TEST(Raster, OverlayBlendsByAlphaAndPutsThePeakWhereTheMapPeaks) {
  const Image frame = filled(8, 8, {100, 100, 100});
  Heatmap m(2, 2);
  m.values = {1.f, 0.f, 0.f, 0.f};  // peak top-left
  HeatmapOverlay none;
  none.alpha = 0;
  EXPECT_EQ(overlay_heatmap(frame, m, none).rgb, frame.rgb);
  HeatmapOverlay full;
  full.alpha = 1;
  const Image hot = overlay_heatmap(frame, m, full);
  EXPECT_EQ(px(hot, 0, 0), colormap(Colormap::jet, 1));
  EXPECT_EQ(px(hot, 7, 7), colormap(Colormap::jet, 0));
  const Image half = overlay_heatmap(frame, m);
  EXPECT_EQ(half.at(7, 7)[2], std::lround(0.5 * 100 + 0.5 * 128));
  m.values[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(overlay_heatmap(frame, m), Error);
  full.alpha = 1.5;
  EXPECT_THROW(overlay_heatmap(frame, Heatmap(2, 2), full), Error);
}

TEST(Raster, ConstantHeatmapMapsToTheMiddleColor) {
  Heatmap m(3, 3);
  const Image c = colorize(m, Colormap::viridis);
  EXPECT_EQ(px(c, 1, 1), colormap(Colormap::viridis, 0.5));
}

TEST(Raster, RectangleOutlineIsClippedAndLeavesTheInsideAlone) {
  Image im(10, 10);
  const Rgb red{255, 0, 0};
  draw_rect(im, 2, 2, 7, 6, red, 1);
  EXPECT_EQ(px(im, 2, 2), red);
  EXPECT_EQ(px(im, 7, 6), red);
  EXPECT_EQ(px(im, 5, 2), red);
  EXPECT_EQ(px(im, 4, 4), (Rgb{0, 0, 0}));
  EXPECT_EQ(px(im, 8, 6), (Rgb{0, 0, 0}));
  draw_rect(im, -5, -5, 3, 20, red, 2);  // partly outside: no crash, visible part drawn
  EXPECT_EQ(px(im, 3, 9), red);
  EXPECT_EQ(px(im, 2, 9), red);
  EXPECT_EQ(px(im, 1, 9), (Rgb{0, 0, 0}));
}

TEST(Raster, PerturbationIsAmplifiedAndClamped) {
  Image clean = filled(2, 1, {100, 100, 100});
  Image adv = clean;
  adv.at(0, 0)[0] = 103;  // +3
  adv.at(1, 0)[2] = 70;   // -30
  const Image x10 = perturbation_image(clean, adv, 10.0);
  EXPECT_EQ(px(x10, 0, 0), (Rgb{30, 0, 0}));
  EXPECT_EQ(px(x10, 1, 0), (Rgb{0, 0, 255}));
  const Image autoscaled = perturbation_image(clean, adv);
  EXPECT_EQ(autoscaled.at(1, 0)[2], 255);
  EXPECT_EQ(autoscaled.at(0, 0)[0], std::lround(3 * 255.0 / 30));
  EXPECT_EQ(perturbation_image(clean, clean).rgb, std::vector<uint8_t>(6, 0));
  EXPECT_THROW(perturbation_image(clean, Image(3, 1)), Error);
  EXPECT_THROW(perturbation_image(clean, adv, -1.0), Error);
}

TEST(Raster, MontageCentersImagesInEqualCells) {
  const Image a = filled(2, 2, {10, 10, 10});
  const Image b = filled(3, 1, {20, 20, 20});
  const Image m = montage({a, b, a}, 2, 1, {255, 255, 255});
  EXPECT_EQ(m.width, 3 + 1 + 3);
  EXPECT_EQ(m.height, 2 + 1 + 2);
  EXPECT_EQ(px(m, 0, 0), (Rgb{10, 10, 10}));     // a, offset (0,0) in a 3-wide cell
  EXPECT_EQ(px(m, 2, 0), (Rgb{255, 255, 255}));  // right of a
  EXPECT_EQ(px(m, 3, 0), (Rgb{255, 255, 255}));  // the gap
  EXPECT_EQ(px(m, 4, 0), (Rgb{20, 20, 20}));     // b, vertically centered at row 0
  EXPECT_EQ(px(m, 4, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(px(m, 0, 3), (Rgb{10, 10, 10}));     // second row
  EXPECT_THROW(montage({}, 2), Error);
}

}  // namespace
}  // namespace avr
