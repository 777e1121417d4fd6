// Figure 4 (9): the localizer's audio-guided attention on clean and attacked
// clips, and — beyond the paper — its pointing-game hit rate and cIoU against
// the embedded dataset's ground-truth boxes, next to the best fixed guess (the
// one input point inside the most boxes) and a fixed center prior.
#include <iostream>

#include "avr/core/fs.h"
#include "avr/eval/localization.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/media/image.h"
#include "avr/report/table.h"
#include "avr/study/study_results.h"
#include "study_steps.h"

namespace avr::study {

void localization(StudyContext& ctx) {
  const auto& c = ctx.config;
  const auto& trained = ctx.model("localizer");
  auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
  const auto test = m.split("test");
  const auto boxes_path = default_boxes_path(test);
  if (!std::filesystem::exists(boxes_path)) {
    // The paper's datasets have no boxes; their figures need the scores' clips.
    ctx.results["localization_skipped"] =
        "no ground-truth boxes at " + boxes_path.string() + " (only the embedded dataset has them)";
    return;
  }
  LocalizationSettings ls;
  ls.attack = c.localization_attack;
  ls.budget = c.budget;
  ls.batch_size = c.batch_size;
  ls.limit = c.localization_limit;
  ls.seed = c.seed;
  ls.workers = c.workers;
  ls.examples = c.localization_examples;
  const auto figure = ctx.dir("figures") / "fig4_localization.png";
  // scoring 2: the pointing game on the attention's grid (1 scored the upsampled map);
  // 3: the best fixed guess next to the center prior; 4: cells placed at their receptive
  // fields' centres (localization_metrics.h).
  nlohmann::json config = {{"model_key", trained.key}, {"settings", ls},
                           {"boxes", boxes_path.string()}, {"scoring", 4}};
  auto result = ctx.run_step(
      "localization", config,
      [&] {
        if (ctx.is_root()) std::cerr << "study: localization under attack\n";
        // Clips sharded over the ranks; every rank gets the whole report, rank 0 draws it.
        const auto report = evaluate_localization(m.model, test, read_box_table(boxes_path), m.clip, ls,
                                                  ctx.progress, ctx.group);
        if (ctx.is_root() && !report.examples.empty()) write_png(figure, localization_montage(report));
        return nlohmann::json(report);
      },
      StepRanks::Shared);

  Table t;
  const int64_t clips = result.at("clips");
  t.caption = "Sound-source localization under " + c.localization_attack + " (ε = " + format_number(c.budget.eps_single, 3) +
              " for ✗A/✗V, " + format_number(c.budget.eps_both, 3) + " for ✗AV), " + std::to_string(clips) +
              " test clips. Pointing game: the center of the attention's peak cell falls in the ground-truth box; cIoU: IoU of the "
              "map thresholded at half its range with the box; AUC over cIoU thresholds. The best fixed guess "
              "points every clip at the one input pixel that lies in the most boxes of these clips (searched "
              "over every pixel, so no fixed guess scores more): a localizer must beat it to show it looks at "
              "the instrument. The center prior is a fixed Gaussian at the image center.";
  t.columns = {"Condition", "Accuracy", "Pointing game", "Mean cIoU", "AUC"};
  LocalizationSummary summary;
  for (const auto& cond : result.at("conditions")) {
    const std::string name = cond.at("name");
    t.add_row({name, format_number(100 * cond.at("accuracy").get<double>(), 1),
               format_number(100 * cond.at("pointing_game").get<double>(), 1),
               format_number(cond.at("mean_ciou").get<double>(), 3), format_number(cond.at("auc").get<double>(), 3)});
    summary.conditions[name] = {cond.at("accuracy").get<double>(), cond.at("pointing_game").get<double>(),
                                cond.at("mean_ciou").get<double>(), cond.at("auc").get<double>()};
  }
  const auto& prior = result.at("center_prior");
  t.add_row({"center prior (no model)", "—", format_number(100 * prior.at("pointing_game").get<double>(), 1),
             format_number(prior.at("mean_ciou").get<double>(), 3), format_number(prior.at("auc").get<double>(), 3)});
  summary.center_prior_pointing = prior.at("pointing_game").get<double>();
  summary.center_prior_ciou = prior.at("mean_ciou").get<double>();
  summary.center_prior_auc = prior.at("auc").get<double>();
  const auto& fixed = result.at("best_fixed_guess");
  const auto& point = fixed.at("point");
  t.add_row({"best fixed guess (no model; at x " + format_number(point.at(0).get<double>(), 1) + ", y " +
                 format_number(point.at(1).get<double>(), 1) + " px)",
             "—", format_number(100 * fixed.at("pointing_game").get<double>(), 1), "—", "—"});
  summary.best_fixed_guess =
      LocalizationSummary::FixedGuess{fixed.at("pointing_game").get<double>(), point.get<std::vector<double>>()};
  ctx.write_table("localization", t);
  ctx.results["tables"]["localization"] = t.to_json();
  nlohmann::json loc = {{"summary", summary}, {"report", result}};
  const auto attention = m.model->config().image_size;
  if (std::filesystem::exists(figure)) {
    loc["figure"] = figure.string();
    loc["figure_caption"] =
        "Attention of the localizer (input " + std::to_string(attention) + " px) on clean, ✗A, ✗V and ✗AV inputs "
        "(columns), one clip per row; the white box is the sounding instrument.";
  }
  ctx.results["localization"] = loc;
}

}  // namespace avr::study
