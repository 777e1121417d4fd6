#include "avr/eval/localization.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/progress.h"
#include "avr/core/timer.h"
#include "avr/data/loader.h"
#include "avr/dist/process_group.h"
#include "eval_pass.h"
#include "localization_shards.h"

namespace avr {

// ---------------------------------------------------------------- evaluation

void LocalizationSettings::validate() const {
  make_attack(attack, attack_settings);  // unknown attack or field: its own error
  budget.validate();
  AVR_CHECK(batch_size >= 1, "batch size must be ≥ 1, got ", batch_size);
  AVR_CHECK(limit >= 0, "limit must be ≥ 0 (0: all clips), got ", limit);
  AVR_CHECK(examples >= 0, "the number of example clips must be ≥ 0, got ", examples);
  AVR_CHECK(workers >= 1, "loader workers must be ≥ 1, got ", workers);
}

void to_json(nlohmann::json& j, const LocalizationSettings& s) {
  j = {{"attack", s.attack},         {"attack_settings", s.attack_settings},
       {"batch_size", s.batch_size},
       {"limit", s.limit},           {"seed", s.seed},
       {"examples", s.examples},     {"clean_only", s.clean_only}};
  j.update(nlohmann::json(s.budget));
}

const LocalizationCondition& LocalizationReport::condition(const std::string& name) const {
  for (const auto& c : conditions)
    if (c.name == name) return c;
  AVR_FAIL("no localization result for condition '", name, "' (clean, ✗A, ✗V, ✗AV)");
}

void to_json(nlohmann::json& j, const LocalizationReport& r) {
  j = {{"attack", r.attack},   {"attack_settings", r.attack_settings},
       {"clips", r.clips},     {"seconds", r.seconds},
       {"ciou_thresholds", ciou_thresholds()}};
  auto conds = nlohmann::json::array();
  for (const auto& c : r.conditions) {
    const auto& s = c.scores;
    conds.push_back({{"name", c.name},
                     {"threat_model", c.threat ? nlohmann::json(*c.threat) : nlohmann::json()},
                     {"clips", s.clips},
                     {"scored_clips", s.scored},
                     {"accuracy", s.accuracy},
                     {"pointing_game", s.pointing_game},
                     {"mean_ciou", s.mean_ciou},
                     {"auc", s.auc},
                     {"success_rate", s.success_rate},
                     {"measured_max_linf", {{"audio", c.max_linf_audio}, {"frames", c.max_linf_frames}}},
                     {"seconds", c.seconds}});
  }
  j["conditions"] = conds;
  const auto& p = r.center_prior;
  j["center_prior"] = {{"map", "centered Gaussian, sigma = input size / 4"},
                       {"scored_clips", p.scored},
                       {"pointing_game", p.pointing_game},
                       {"mean_ciou", p.mean_ciou},
                       {"auc", p.auc},
                       {"success_rate", p.success_rate}};
  j["best_fixed_guess"] = {{"point", {r.best_fixed.x, r.best_fixed.y}},
                           {"what", "the input pixel centre inside the most boxes of these clips"},
                           {"scored_clips", r.best_fixed.scored},
                           {"hits", r.best_fixed.hits},
                           {"pointing_game", r.best_fixed.pointing_game()}};
  auto examples = nlohmann::json::array();
  for (const auto& e : r.examples) {
    auto views = nlohmann::json::array();
    for (size_t v = 0; v < e.views.size(); ++v)
      views.push_back({{"condition", r.conditions.at(v).name},
                       {"prediction", e.views[v].prediction},
                       {"hit", e.views[v].hit},
                       {"ciou", e.views[v].ciou}});
    examples.push_back(
        {{"index", e.index}, {"clip", e.clip}, {"label", e.label}, {"box", e.box}, {"views", views}});
  }
  j["examples"] = examples;
}

namespace {

Image to_image(const torch::Tensor& chw) {  // [3,H,W] in [0,1]
  auto hwc = chw.detach().to(torch::kCPU, torch::kFloat32).mul(255).round().clamp(0, 255)
                 .to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Image im(static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)));
  std::memcpy(im.rgb.data(), hwc.data_ptr<uint8_t>(), im.rgb.size());
  return im;
}

Heatmap to_heatmap(const torch::Tensor& hw) {
  auto m = hw.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  Heatmap h(static_cast<int>(m.size(1)), static_cast<int>(m.size(0)));
  std::memcpy(h.values.data(), m.data_ptr<float>(), h.values.size() * sizeof(float));
  return h;
}

void summarize(LocalizationScores& s, int64_t correct) {
  std::vector<double> scored;
  int64_t hits = 0;
  for (size_t i = 0; i < s.ciou.size(); ++i) {
    if (std::isnan(s.ciou[i])) continue;
    scored.push_back(s.ciou[i]);
    hits += s.hit[i];
  }
  s.scored = static_cast<int64_t>(scored.size());
  s.accuracy = s.clips ? static_cast<double>(correct) / s.clips : 0.0;
  s.pointing_game = s.scored ? static_cast<double>(hits) / s.scored : 0.0;
  double sum = 0;
  for (double c : scored) sum += c;
  s.mean_ciou = s.scored ? sum / s.scored : 0.0;
  s.success_rate = success_rates(scored);
  s.auc = ciou_auc(scored);
}

}  // namespace

LocalizationReport evaluate_localization(AvModel model, const AvDataset& dataset,
                                         const BoxTable& boxes, const ClipSettings& clip,
                                         const LocalizationSettings& s, bool show_progress,
                                         dist::ProcessGroup* group) {
  s.validate();
  const bool sharded = group && group->distributed();
  clip.validate();
  AVR_CHECK(model->config().kind == ModelKind::Localizer, "localization needs a model of kind 'localizer' "
            "(`avr train --model localizer`), this one is '", model->config().kind, "'");
  Timer total;
  model->eval();
  const torch::Device device = model->parameters().front().device();
  const int64_t n = s.limit > 0 ? std::min(s.limit, dataset.size()) : dataset.size();
  AVR_CHECK(n > 0, "the ", dataset.split(), " split has no clips to localize");

  // Every box up front: a clip without one fails before any attack runs.
  std::vector<PixelBox> in_boxes;
  for (int64_t i = 0; i < n; ++i) in_boxes.push_back(input_box(boxes, dataset.row(i), clip.image_size));
  {
    const auto& row = dataset.row(0);
    const auto path = dataset.layout().frame_path(row, center_frame_index(row.frame_count));
    const Image im = read_image(path);
    AVR_CHECK(im.width == boxes.frame_width && im.height == boxes.frame_height, path.string(), " is ",
              im.width, "x", im.height, " but ", boxes.file.string(), " describes ", boxes.frame_width,
              "x", boxes.frame_height, " frames: the boxes belong to another copy of the dataset");
  }

  auto attack = make_seeded_attack(s.attack, s.attack_settings, s.seed);

  LocalizationReport report;
  report.attack = s.attack;
  report.attack_settings = attack->settings_json();
  report.clips = n;
  const std::vector<std::optional<Modality>> modes =
      s.clean_only ? std::vector<std::optional<Modality>>{std::nullopt}
                   : std::vector<std::optional<Modality>>{std::nullopt, Modality::Audio,
                                                          Modality::Visual, Modality::AudioVisual};
  std::vector<int64_t> correct(modes.size(), 0);
  for (const auto& m : modes) {
    LocalizationCondition c;
    c.name = m ? paper_label(*m) : "clean";
    if (m) c.threat = s.budget.threat(*m);
    c.scores.clips = n;
    c.scores.ciou.assign(n, std::numeric_limits<double>::quiet_NaN());
    c.scores.hit.assign(n, false);
    c.scores.prediction.assign(n, -1);
    report.conditions.push_back(c);
  }
  report.center_prior.clips = n;
  report.center_prior.ciou.assign(n, std::numeric_limits<double>::quiet_NaN());
  report.center_prior.hit.assign(n, false);
  const auto prior = center_prior_map(clip.image_size, device);
  const int64_t k_examples = std::min(s.examples, n);
  report.examples.resize(static_cast<size_t>(k_examples));
  for (int64_t i = 0; i < k_examples; ++i) {
    auto& e = report.examples[i];
    e.index = i;
    e.clip = dataset.row(i).frames;
    e.label = dataset.label(i);
    e.box = in_boxes[i];
    e.views.resize(modes.size());
  }

  // The attacker maximizes the localizer's cross-entropy on its logits.
  const ObjectiveFn objective = cross_entropy_objective(
      [model](const torch::Tensor& audio, const torch::Tensor& frames) {
        AvModel net = model;
        return net->localize(audio, frames).logits;
      });

  BatchLoader loader(dataset, clip,
                     detail::eval_loader_settings(s.batch_size, n, s.workers, group));
  const auto progress = detail::eval_progress(show_progress, "localize", loader, group);
  std::vector<int64_t> mine;  // the dataset rows this process scores
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    auto audio = b->audio.to(device), frames = b->frames.to(device), labels = b->labels.to(device);
    const auto idx = b->indices.to(torch::kCPU, torch::kInt64).contiguous();
    const auto* rows = idx.data_ptr<int64_t>();
    mine.insert(mine.end(), rows, rows + idx.size(0));
    std::vector<PixelBox> bb;
    for (int64_t i = 0; i < idx.size(0); ++i) bb.push_back(in_boxes.at(rows[i]));
    {
      const auto maps = prior.unsqueeze(0).expand({idx.size(0), clip.image_size, clip.image_size});
      const auto hits = pointing_hits(maps, bb).to(torch::kCPU);
      const auto cious = ciou_scores(maps, bb).to(torch::kCPU, torch::kFloat64);
      for (int64_t i = 0; i < idx.size(0); ++i) {
        if (bb[i].empty()) continue;
        report.center_prior.hit[rows[i]] = hits[i].item<bool>();
        report.center_prior.ciou[rows[i]] = cious[i].item<double>();
      }
    }
    for (size_t c = 0; c < modes.size(); ++c) {
      Timer t;
      auto& cond = report.conditions[c];
      torch::Tensor a = audio, f = frames;
      if (modes[c]) {
        // Random draws per clip and modality, as evaluate_robustness.
        auto adv = attack->run_on_clips(objective, b->indices, audio, frames, labels, *cond.threat);
        a = adv.audio;
        f = adv.frames;
        cond.max_linf_audio = std::max(cond.max_linf_audio, (a - audio).abs().max().item<double>());
        cond.max_linf_frames = std::max(cond.max_linf_frames, (f - frames).abs().max().item<double>());
      }
      torch::NoGradGuard ng;
      auto out = model->localize(a, f);
      auto pred = out.logits.argmax(1);
      correct[c] += pred.eq(labels).sum().item<int64_t>();
      const int64_t stride = model->config().localizer_stride;  // the attention map's grid
      auto heat = upsample_attention(out.attention, clip.image_size, stride);
      const auto hits = pointing_hits_on_grid(out.attention, bb, stride).to(torch::kCPU);
      const auto cious = ciou_scores(heat, bb).to(torch::kCPU, torch::kFloat64);
      const auto pred_cpu = pred.to(torch::kCPU);
      const auto hit_of = hits.accessor<bool, 1>();
      const auto ciou_of = cious.accessor<double, 1>();
      const auto pred_of = pred_cpu.accessor<int64_t, 1>();
      for (int64_t i = 0; i < idx.size(0); ++i) {
        const int64_t row = rows[i];
        const bool scored = !bb[i].empty();
        cond.scores.prediction[row] = pred_of[i];
        cond.scores.hit[row] = scored && hit_of[i];
        if (scored) cond.scores.ciou[row] = ciou_of[i];
        if (row < k_examples) {
          auto& v = report.examples[row].views[c];
          v.frame = to_image(f[i]);
          v.attention = to_heatmap(heat[i]);  // at input resolution, cells where they look
          v.prediction = cond.scores.prediction[row];
          v.hit = cond.scores.hit[row];
          v.ciou = cond.scores.ciou[row];
        }
      }
      cond.seconds += t.seconds();
    }
    if (progress) progress->advance(idx.size(0));
  }
  if (progress) progress->finish();
  if (sharded)  // every rank ends with every clip's scores and every example
    detail::merge_localization_shards(report, correct,
                                      group->all_gather_bytes(detail::pack_localization_shard(report, mine, correct)));
  for (size_t c = 0; c < modes.size(); ++c) summarize(report.conditions[c].scores, correct[c]);
  summarize(report.center_prior, 0);
  report.center_prior.accuracy = std::numeric_limits<double>::quiet_NaN();
  report.best_fixed = best_fixed_guess(in_boxes, clip.image_size);
  report.seconds = total.seconds();
  return report;
}

// ---------------------------------------------------------------- figures

void LocalizationFigureSettings::validate() const {
  AVR_CHECK(display_size >= 16 && display_size <= 2048, "display size must be in [16, 2048], got ",
            display_size);
  AVR_CHECK(box_thickness >= 1, "box thickness must be ≥ 1, got ", box_thickness);
  overlay.validate();
}

std::vector<LocalizationPanel> render_localization_panels(const LocalizationReport& report,
                                                          const LocalizationFigureSettings& s) {
  s.validate();
  std::vector<LocalizationPanel> panels;
  for (size_t e = 0; e < report.examples.size(); ++e) {
    const auto& ex = report.examples[e];
    AVR_ASSERT(ex.views.size() == report.conditions.size(), "one view per condition");
    for (size_t c = 0; c < ex.views.size(); ++c) {
      const auto& v = ex.views[c];
      AVR_ASSERT(v.frame.width > 0 && !v.attention.values.empty(), "example view not filled");
      Image im = overlay_heatmap(resize_bilinear(v.frame, s.display_size, s.display_size),
                                 v.attention, s.overlay);
      if (!ex.box.empty()) {
        // Box edges in display pixels; draw_rect takes inclusive corners.
        const double fx = static_cast<double>(s.display_size) / v.frame.width;
        const double fy = static_cast<double>(s.display_size) / v.frame.height;
        draw_rect(im, static_cast<int>(std::lround(ex.box.x0 * fx)),
                  static_cast<int>(std::lround(ex.box.y0 * fy)),
                  static_cast<int>(std::lround(ex.box.x1 * fx)) - 1,
                  static_cast<int>(std::lround(ex.box.y1 * fy)) - 1, s.box_color, s.box_thickness);
      }
      panels.push_back({static_cast<int64_t>(e), report.conditions[c].name, std::move(im)});
    }
  }
  return panels;
}

Image localization_montage(const LocalizationReport& report, const LocalizationFigureSettings& s) {
  AVR_CHECK(!report.examples.empty(),
            "no example clips to draw: evaluate with examples > 0 (--examples K)");
  std::vector<Image> images;
  for (auto& p : render_localization_panels(report, s)) images.push_back(std::move(p.image));
  return montage(images, static_cast<int>(report.conditions.size()));
}

}  // namespace avr
