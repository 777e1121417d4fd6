#include "avr/eval/localization_metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {

namespace {

// [size, cells]: row p holds the linear weights of pixel p between the cells' centres
// (cell j at pixel s·j), clamped to the first and last cell.
torch::Tensor cell_interpolation(int64_t size, int64_t cells, int64_t stride) {
  auto w = torch::zeros({size, cells}, torch::kFloat32);
  auto a = w.accessor<float, 2>();
  for (int64_t p = 0; p < size; ++p) {
    const double u = static_cast<double>(p) / stride;
    const int64_t j0 = std::min(static_cast<int64_t>(std::floor(u)), cells - 1);
    const double t = j0 == cells - 1 ? 0.0 : u - j0;
    a[p][j0] += static_cast<float>(1 - t);
    if (t > 0) a[p][j0 + 1] += static_cast<float>(t);
  }
  return w;
}

}  // namespace

torch::Tensor upsample_attention(const torch::Tensor& attention, int64_t size, int64_t stride) {
  AVR_CHECK(attention.dim() == 3, "attention must be [B,h,w], got ", attention.sizes());
  AVR_CHECK(size >= 1 && stride >= 1, "upsampling: size and stride must be ≥ 1, got ", size, " and ",
            stride);
  const auto a = attention.to(torch::kFloat32);
  const auto wy = cell_interpolation(size, attention.size(1), stride).to(a.device());
  const auto wx = cell_interpolation(size, attention.size(2), stride).to(a.device());
  return torch::matmul(torch::matmul(wy, a), wx.t());  // [size,h]·[B,h,w]·[w,size]
}

torch::Tensor box_mask(const PixelBox& box, int64_t height, int64_t width,
                       const torch::Device& device) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  auto xs = torch::arange(width, opts) + 0.5, ys = torch::arange(height, opts) + 0.5;
  auto mx = xs.ge(box.x0).logical_and(xs.lt(box.x1));
  auto my = ys.ge(box.y0).logical_and(ys.lt(box.y1));
  return my.unsqueeze(1).logical_and(mx.unsqueeze(0));
}

namespace {

// What every metric needs of a batch of maps: the maps flattened, their range
// and which maps have a peak at all.
struct MapStats {
  torch::Tensor flat, peaked, lo, range;
};

MapStats map_stats(const torch::Tensor& maps, size_t boxes) {
  AVR_CHECK(maps.dim() == 3 && maps.size(0) == static_cast<int64_t>(boxes),
            "expected heatmaps [B,H,W] and B boxes, got ", maps.sizes(), " and ", boxes, " boxes");
  MapStats m;
  m.flat = maps.flatten(1).to(torch::kFloat32);
  AVR_CHECK(torch::isfinite(m.flat).all().item<bool>(),
            "the heatmap has non-finite values: the model's attention is broken (NaN weights?)");
  auto hi = m.flat.amax(1);
  m.lo = m.flat.amin(1);
  m.range = hi - m.lo;
  m.peaked = m.range.gt(1e-6 * torch::maximum(hi.abs(), m.lo.abs()));
  return m;
}

// The box masks of heatmaps at the model input's size, flattened: [B,H·W] bool.
torch::Tensor flat_box_masks(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes) {
  std::vector<torch::Tensor> masks;
  for (const auto& b : boxes)
    masks.push_back(box_mask(b, heatmaps.size(1), heatmaps.size(2), heatmaps.device()).flatten());
  return torch::stack(masks);
}

}  // namespace

torch::Tensor pointing_hits(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes) {
  const MapStats m = map_stats(heatmaps, boxes.size());
  auto at_max = flat_box_masks(heatmaps, boxes).gather(1, m.flat.argmax(1).unsqueeze(1)).squeeze(1);
  return at_max.logical_and(m.peaked);
}

torch::Tensor pointing_hits_on_grid(const torch::Tensor& attention,
                                    const std::vector<PixelBox>& boxes, int64_t stride) {
  AVR_CHECK(attention.dim() == 3, "attention must be [B,h,w], got ", attention.sizes());
  AVR_CHECK(stride >= 1, "pointing game: the map's stride must be ≥ 1, got ", stride);
  const MapStats m = map_stats(attention, boxes.size());
  const int64_t h = attention.size(1), w = attention.size(2);
  const auto peak = m.flat.argmax(1).to(torch::kCPU);
  const auto peaked = m.peaked.to(torch::kCPU);
  const auto peak_of = peak.accessor<int64_t, 1>();
  const auto peaked_of = peaked.accessor<bool, 1>();
  auto hits = torch::zeros({attention.size(0)}, torch::kBool);
  auto hit_of = hits.accessor<bool, 1>();
  for (int64_t b = 0; b < attention.size(0); ++b) {
    const int64_t cell = peak_of[b];
    const double x = static_cast<double>(cell % w) * stride + 0.5;
    const double y = static_cast<double>(cell / w) * stride + 0.5;
    const PixelBox& box = boxes[b];
    hit_of[b] = peaked_of[b] && x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1;
  }
  return hits.to(attention.device());
}

torch::Tensor ciou_scores(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes) {
  const MapStats m = map_stats(heatmaps, boxes.size());
  const torch::Tensor masks = flat_box_masks(heatmaps, boxes);
  auto norm = (m.flat - m.lo.unsqueeze(1)) / m.range.clamp_min(1e-30).unsqueeze(1);
  auto region = norm.ge(0.5).logical_and(m.peaked.unsqueeze(1));
  auto inter = region.logical_and(masks).sum(1).to(torch::kFloat32);
  auto uni = region.logical_or(masks).sum(1).to(torch::kFloat32);
  return torch::where(uni.gt(0), inter / uni.clamp_min(1), torch::zeros_like(uni));
}

bool pointing_hit(const torch::Tensor& heatmap, const PixelBox& box) {
  AVR_CHECK(heatmap.dim() == 2, "expected one heatmap [H,W], got ", heatmap.sizes());
  return pointing_hits(heatmap.unsqueeze(0), {box}).item<bool>();
}

double ciou(const torch::Tensor& heatmap, const PixelBox& box) {
  AVR_CHECK(heatmap.dim() == 2, "expected one heatmap [H,W], got ", heatmap.sizes());
  return ciou_scores(heatmap.unsqueeze(0), {box}).item<double>();
}

torch::Tensor center_prior_map(int64_t size, const torch::Device& device) {
  AVR_CHECK(size >= 1, "center prior: size must be ≥ 1, got ", size);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const double c = size / 2.0, sigma = size / 4.0;
  auto d = (torch::arange(size, opts) + 0.5 - c).pow(2);  // squared distance per axis
  return torch::exp(-(d.unsqueeze(1) + d.unsqueeze(0)) / (2 * sigma * sigma));
}

FixedGuess best_fixed_guess(const std::vector<PixelBox>& boxes, int64_t image_size) {
  AVR_CHECK(image_size >= 1, "best fixed guess: image size must be ≥ 1, got ", image_size);
  FixedGuess best;
  best.x = best.y = 0.5;
  for (const auto& b : boxes) best.scored += !b.empty();
  bool first = true;
  for (int64_t j = 0; j < image_size; ++j)
    for (int64_t i = 0; i < image_size; ++i) {
      const double x = i + 0.5, y = j + 0.5;
      int64_t hits = 0;
      for (const auto& b : boxes) hits += !b.empty() && x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1;
      if (first || hits > best.hits) best.x = x, best.y = y, best.hits = hits, first = false;
    }
  return best;
}

std::vector<double> ciou_thresholds() {
  std::vector<double> t;
  for (int k = 0; k <= 20; ++k) t.push_back(k / 20.0);
  return t;
}

std::vector<double> success_rates(const std::vector<double>& cious) {
  std::vector<double> rates;
  for (double t : ciou_thresholds()) {
    const auto n = std::count_if(cious.begin(), cious.end(), [&](double c) { return c >= t; });
    rates.push_back(cious.empty() ? 0.0 : static_cast<double>(n) / cious.size());
  }
  return rates;
}

double ciou_auc(const std::vector<double>& cious) {
  const auto t = ciou_thresholds();
  const auto r = success_rates(cious);
  double auc = 0;
  for (size_t k = 0; k + 1 < t.size(); ++k) auc += 0.5 * (r[k] + r[k + 1]) * (t[k + 1] - t[k]);
  return auc;
}

}  // namespace avr
