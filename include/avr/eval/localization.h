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

#include "avr/attacks/attack_budget.h"
#include "avr/attacks/threat_model.h"
#include "avr/data/dataset.h"
#include "avr/eval/localization_boxes.h"
#include "avr/eval/localization_metrics.h"
#include "avr/media/image.h"
#include "avr/models/av_model.h"
#include "avr/report/raster.h"

namespace avr {

namespace dist {
class ProcessGroup;
}

// ---------------------------------------------------------------- evaluation

struct LocalizationSettings {
  std::string attack = "pgd";  // fgsm | pgd | mim | apgd | mim_original
  nlohmann::json attack_settings = nlohmann::json::object();  // that attack's fields
  AttackBudget budget;   // ε of ✗A and ✗V, ε on each input of ✗AV
  int64_t batch_size = 16;
  int64_t limit = 0;     // first N clips of the split (0: all)
  uint64_t seed = 0;     // random starts (unless attack_settings has "seed")
  int workers = 2;       // loader threads
  int64_t examples = 0;  // keep frames and maps of the first K clips for figures
  // Score the clean inputs only (no ✗A/✗V/✗AV): where the localizer looks, in
  // seconds instead of minutes (the attacks run ~1 clip/s on 2 cores).
  bool clean_only = false;
  void validate() const;
};
// The budget's keys (eps_space, eps_single, eps_both) sit beside the others, as always.
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
    // [image_size]², the attention upsampled with each cell at its receptive field's
    // centre (upsample_attention), so an overlay shows where the model looks
    Heatmap attention;
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
  std::vector<LocalizationCondition> conditions;  // clean, ✗A, ✗V, ✗AV (clean only: clean)
  // center_prior_map() scored on the same clips and boxes (accuracy: NaN, it
  // does not classify).
  LocalizationScores center_prior;
  // best_fixed_guess() on the same clips' boxes: the baseline the localizer
  // must beat (the center prior is one fixed guess among those it searches).
  FixedGuess best_fixed;
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
// With a distributed `group`, the ranks score their shares of the batches (as
// evaluate_robustness) and every rank returns the report of all clips, equal to
// one process's (the per-clip attacks draw from the clip's own stream).
LocalizationReport evaluate_localization(AvModel model, const AvDataset& dataset,
                                         const BoxTable& boxes, const ClipSettings& clip,
                                         const LocalizationSettings& settings,
                                         bool show_progress = true,
                                         dist::ProcessGroup* group = nullptr);

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
