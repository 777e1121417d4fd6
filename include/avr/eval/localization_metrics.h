// Localization scores of a heatmap against a ground-truth box: the pointing
// game, Senocak et al. CVPR 2018's cIoU and its AUC, and the center prior a
// localizer must beat.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "avr/eval/localization_boxes.h"

namespace avr {

// All on a heatmap of the model input's size (the attention map upsampled by
// upsample_attention), except pointing_hits_on_grid. A map is "flat" when max − min ≤ 1e-6·max(|max|,|min|)
// (a uniform map, up to float rounding of the upsampling): it has no peak and
// no region, so it scores a miss and cIoU 0.
//
// Box mask: the pixels whose centers (x+½, y+½) lie inside the box.
//
// Pointing game (Zhang et al. 2016): a hit when the map's maximum lies in the
//   box mask; ties go to the first maximum in row-major order.
// cIoU (Senocak et al. CVPR 2018, Eq. 5): with A(τ) the pixels whose min-max
//   normalized value is ≥ τ = 0.5 and G the annotated pixels with weights g_i,
//   cIoU = Σ_{i∈A} g_i / (Σ_i g_i + |A \ G|). For a single box annotation
//   g_i ∈ {0, 1}, so this is |A ∩ G| / |A ∪ G|, the IoU of the binarized map
//   and the box mask (0 when both are empty).
// AUC: the success rate (share of clips with cIoU ≥ t) at t = 0, 0.05, …, 1,
//   integrated over t by the trapezoid rule, as the sound-source localization
//   literature reports it (Senocak et al., Chen et al. CVPR 2021's evaluation
//   code). Its floor is 0.025: every clip succeeds at t = 0.

// Where a feature map's cells look: in a ResNet with "same" padding, cell j of a map of
// output stride s is centred on input pixel s·j (every strided conv and pool maps output i
// to input 2i), i.e. at x = s·j + ½ in pixel coordinates — not at the centre of the s×s
// block, s·j + s/2, which a plain resize assumes (3.5 px off at stride 8; measured: the
// input gradient of the central layer2 cell of the default profile's 48 px localizer is
// centred at 24.2 px, the geometry says 24.5, a resize 28).
//
// [B,h,w] attention → [B,size,size]: bilinear between the cells' centres s·j, each pixel
// beyond the outer centres taking its nearest cell's value.
torch::Tensor upsample_attention(const torch::Tensor& attention, int64_t size, int64_t stride);
// [height,width] bool mask of `box` (see above), on `device`.
torch::Tensor box_mask(const PixelBox& box, int64_t height, int64_t width,
                       const torch::Device& device = torch::kCPU);

// Batched: heatmaps [B,H,W] (any float type and device), one box a map.
torch::Tensor pointing_hits(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes);  // [B] bool
torch::Tensor ciou_scores(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes);    // [B] float
// The pointing game on the attention's own grid, attention [B,h,w] of output stride
// `stride`: the peak cell's centre (s·j + ½, above) must fall in the box. This is what
// the evaluation scores: on a coarse map (2×2 at 48 px) the bilinear
// upsampling is flat from each corner cell's center to the image's corner, so
// the arg-max of the upsampled map sits in the image's corner, not the cell's
// center (measured on the default profile: 2.5 % hits on the upsampled map).
torch::Tensor pointing_hits_on_grid(const torch::Tensor& attention,
                                    const std::vector<PixelBox>& boxes, int64_t stride);
// One map [H,W].
bool pointing_hit(const torch::Tensor& heatmap, const PixelBox& box);
double ciou(const torch::Tensor& heatmap, const PixelBox& box);

// The reference a localizer must beat: a map that ignores the clip, a
// centered isotropic Gaussian with σ = size/4 ([size,size] float). Objects sit
// near the middle of most frames, so this prior alone scores well on the
// pointing game; a 1x1 or 3x3 attention map peaking at its center is this prior.
torch::Tensor center_prior_map(int64_t size, const torch::Device& device = torch::kCPU);

// The strongest baseline that ignores the clip: one fixed point, the pixel
// centre (x+½, y+½) of the [image_size]² input that lies in the most boxes
// (the pointing game's hit rule: x0 ≤ x < x1, y0 ≤ y < y1; ties go to the first
// in row-major order). Chosen on the scored clips themselves, so no fixed guess
// scores more on them: a localizer that does not beat it has not shown that it
// looks at the instrument. Empty boxes (out of view) are not counted.
struct FixedGuess {
  double x = 0, y = 0;  // the point, model-input pixels
  int64_t hits = 0;     // boxes holding it
  int64_t scored = 0;   // non-empty boxes
  double pointing_game() const { return scored > 0 ? static_cast<double>(hits) / scored : 0.0; }
};
FixedGuess best_fixed_guess(const std::vector<PixelBox>& boxes, int64_t image_size);

// The thresholds of the success curve: k/20 for k = 0..20.
std::vector<double> ciou_thresholds();
// Share of `cious` ≥ each threshold (all 0 when `cious` is empty).
std::vector<double> success_rates(const std::vector<double>& cious);
double ciou_auc(const std::vector<double>& cious);

}  // namespace avr
