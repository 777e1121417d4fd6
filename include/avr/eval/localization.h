// Sound-source localization under attack (paper Sec. 4.5, Fig. 4/9), scored
// against ground-truth boxes: the localizer's audio-guided attention map, upsampled
// to the model input, against the sounding instrument's box of the clip's center
// frame (boxes.json of `avr synth`), clean and under ✗A, ✗V, ✗AV. The paper shows
// these maps only as pictures; the scores are the localization literature's
// (pointing game, Senocak et al. CVPR 2018's cIoU and its AUC).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "avr/attacks/threat_model.h"
#include "avr/data/dataset.h"
#include "avr/media/image.h"
#include "avr/models/av_model.h"
#include "avr/report/raster.h"

namespace avr {

// ---------------------------------------------------------------- boxes

// An axis-aligned box in continuous pixel coordinates: the image spans
// [0, width] × [0, height] and pixel (x, y) covers [x, x+1) × [y, y+1), so an
// integer box [x0, x1) covers columns x0..x1-1 (boxes.json's convention, x1/y1
// exclusive). Coordinates stay real after the resize of the eval transform.
struct PixelBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};
void to_json(nlohmann::json& j, const PixelBox& b);

// DIR/boxes.json as `avr synth` writes it (avr/synth/generator.h): the stored
// frames' size and, per clip ("/class/id.mp4", the split CSV's frames column),
// one box per frame in frame order (000001.jpg first).
struct BoxTable {
  std::filesystem::path file;  // where it was read from, for error messages
  int frame_width = 0, frame_height = 0;
  std::map<std::string, std::vector<PixelBox>> boxes;

  // The box of 1-based frame `index` of `clip`; an avr::Error naming the file
  // and the clip when it has no box for that frame.
  const PixelBox& frame_box(const std::string& clip, int64_t index) const;
};

// Reads and checks a boxes file: a missing, unparsable or malformed file (no
// frame size, a box that is not 4 numbers, x1 < x0) is an avr::Error naming it.
BoxTable read_box_table(const std::filesystem::path& file);
// Where `avr synth` puts the boxes of a dataset: next to its frames folder.
std::filesystem::path default_boxes_path(const AvDataset& dataset);

// A box of the stored W×H frame through the eval transform (avr/data/clip.h:
// resize the shorter side to `image_size` with the same rounding, center crop),
// clipped to the input: coordinates of the [image_size]² model input. Empty
// when the crop cuts the box away entirely.
PixelBox map_box_to_input(const PixelBox& box, int frame_width, int frame_height,
                          int64_t image_size);
// The box of the frame the data layer feeds the model (center_frame_index of
// the row) in model-input coordinates.
PixelBox input_box(const BoxTable& table, const SplitRow& row, int64_t image_size);

// ---------------------------------------------------------------- metrics
//
// All on a heatmap of the model input's size (the attention map upsampled by
// upsample_attention). A map is "flat" when max − min ≤ 1e-6·max(|max|,|min|)
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

// [B,h,w] attention → [B,size,size], bilinear with align_corners=false (what
// torch's interpolate, cv2.resize and avr::resize_bilinear do).
torch::Tensor upsample_attention(const torch::Tensor& attention, int64_t size);
// [height,width] bool mask of `box` (see above), on `device`.
torch::Tensor box_mask(const PixelBox& box, int64_t height, int64_t width,
                       const torch::Device& device = torch::kCPU);

// Batched: heatmaps [B,H,W] (any float type and device), one box a map.
torch::Tensor pointing_hits(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes);  // [B] bool
torch::Tensor ciou_scores(const torch::Tensor& heatmaps, const std::vector<PixelBox>& boxes);    // [B] float
// The pointing game on the attention's own grid, attention [B,h,w] for inputs
// of image_size px: the peak cell's center must fall in the box. This is what
// the evaluation scores: on a coarse map (2×2 at 48 px) the bilinear
// upsampling is flat from each corner cell's center to the image's corner, so
// the arg-max of the upsampled map sits in the image's corner, not the cell's
// center (measured on the default profile: 2.5 % hits on the upsampled map).
torch::Tensor pointing_hits_on_grid(const torch::Tensor& attention,
                                    const std::vector<PixelBox>& boxes, int64_t image_size);
// One map [H,W].
bool pointing_hit(const torch::Tensor& heatmap, const PixelBox& box);
double ciou(const torch::Tensor& heatmap, const PixelBox& box);

// The reference a localizer must beat: a map that ignores the clip, a
// centered isotropic Gaussian with σ = size/4 ([size,size] float). Objects sit
// near the middle of most frames, so this prior alone scores well on the
// pointing game; a 1x1 or 3x3 attention map peaking at its center is this prior.
torch::Tensor center_prior_map(int64_t size, const torch::Device& device = torch::kCPU);

// The thresholds of the success curve: k/20 for k = 0..20.
std::vector<double> ciou_thresholds();
// Share of `cious` ≥ each threshold (all 0 when `cious` is empty).
std::vector<double> success_rates(const std::vector<double>& cious);
double ciou_auc(const std::vector<double>& cious);

// ---------------------------------------------------------------- evaluation

struct LocalizationSettings {
  std::string attack = "pgd";  // fgsm | pgd | mim | apgd | mim_original
  nlohmann::json attack_settings = nlohmann::json::object();  // that attack's fields
  double eps_single = kPaperEpsSingle;  // ✗A and ✗V
  double eps_both = kPaperEpsBoth;      // ✗AV, on each modality
  EpsSpace space = EpsSpace::Pixel;
  int64_t batch_size = 16;
  int64_t limit = 0;     // first N clips of the split (0: all)
  uint64_t seed = 0;     // random starts (unless attack_settings has "seed")
  int workers = 2;       // loader threads
  int64_t examples = 0;  // keep frames and maps of the first K clips for figures
  void validate() const;
};
void to_json(nlohmann::json& j, const LocalizationSettings& s);

struct LocalizationScores {
  int64_t clips = 0;          // clips classified
  int64_t scored = 0;         // clips whose box is in view: the denominator of the rest
  double accuracy = 0;        // classification accuracy over `clips`
  double pointing_game = 0;   // hit rate
  double mean_ciou = 0;
  double auc = 0;
  std::vector<double> success_rate;  // at ciou_thresholds()
  // Per clip in dataset order (NaN cIoU / false hit where the box is out of view).
  std::vector<double> ciou;
  std::vector<bool> hit;
  std::vector<int64_t> prediction;
};

struct LocalizationCondition {
  std::string name;                   // "clean", "✗A", "✗V", "✗AV"
  std::optional<ThreatModel> threat;  // none for clean
  LocalizationScores scores;
  double max_linf_audio = 0, max_linf_frames = 0;  // measured, for the record
  double seconds = 0;
};

// What a figure needs of one clip: per condition (parallel to
// LocalizationReport::conditions) the input frame the model saw (attacked for
// ✗V/✗AV) and its attention map.
struct LocalizationExample {
  int64_t index = 0;  // dataset row
  std::string clip;   // "/class/id.mp4"
  int64_t label = 0;
  PixelBox box;       // model-input coordinates
  struct View {
    Image frame;        // [image_size]² RGB
    Heatmap attention;  // h×w, the model's own resolution
    int64_t prediction = 0;
    bool hit = false;
    double ciou = 0;
  };
  std::vector<View> views;
};

struct LocalizationReport {
  std::string attack;
  nlohmann::json attack_settings;  // as make_attack reads them back
  int64_t clips = 0;
  std::vector<LocalizationCondition> conditions;  // clean, ✗A, ✗V, ✗AV
  // center_prior_map() scored on the same clips and boxes (accuracy: NaN, it
  // does not classify).
  LocalizationScores center_prior;
  std::vector<LocalizationExample> examples;
  double seconds = 0;
  const LocalizationCondition& condition(const std::string& name) const;
};
// Summary numbers only (no per-clip vectors, no images).
void to_json(nlohmann::json& j, const LocalizationReport& r);

// Scores a localizer on the first `limit` clips of `dataset`: clean, and under
// `settings.attack` on audio only, visual only and both, the attack maximizing
// the localizer's cross-entropy. The model is put in eval mode and the inputs
// moved to its device. Every evaluated clip must have a box in `boxes`, and the
// stored frames must have the table's size (checked on the first clip).
LocalizationReport evaluate_localization(AvModel model, const AvDataset& dataset,
                                         const BoxTable& boxes, const ClipSettings& clip,
                                         const LocalizationSettings& settings,
                                         bool show_progress = true);

// ---------------------------------------------------------------- figures

struct LocalizationFigureSettings {
  int display_size = 192;  // panels are resized to this side (model inputs are small)
  HeatmapOverlay overlay{0.5, Colormap::jet, std::nullopt, std::nullopt};
  Rgb box_color{255, 255, 255};
  int box_thickness = 2;
  void validate() const;
};

struct LocalizationPanel {
  int64_t example = 0;    // position in LocalizationReport::examples
  std::string condition;  // "clean", "✗A", ...
  Image image;            // frame, heatmap overlaid, ground-truth box drawn
};

// One panel per example and condition, row-major (an example a row, the
// conditions as columns): montage(images, conditions.size()) is the figure.
std::vector<LocalizationPanel> render_localization_panels(
    const LocalizationReport& report, const LocalizationFigureSettings& settings = {});
// That montage (an empty report gives an error: there is nothing to draw).
Image localization_montage(const LocalizationReport& report,
                           const LocalizationFigureSettings& settings = {});

}  // namespace avr
