// avr localize: sound-source localization of a localizer checkpoint, clean and
// under attack on audio, visual and both (paper Sec. 4.5, Fig. 4/9), scored
// against the ground-truth boxes of the embedded dataset, with heatmap figures.
#include <cctype>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "avr/attacks/random_start.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/data/runtime.h"
#include "avr/eval/localization.h"
#include "avr/media/image.h"
#include "avr/models/checkpoint.h"
#include "avr/report/table.h"
#include "command.h"
#include "dataset_flags.h"
#include "setting_flags.h"

namespace avr::cli {
namespace {

struct LocalizeOptions {
  RuntimeFlags runtime;
  DistFlags dist;
  DatasetFlags data;
  std::string checkpoint, model, split = "test", out, boxes;
  bool random_start = false;
  // The flags write these directly; the command draws four clips unless told otherwise
  // (the library keeps no example unless asked).
  LocalizationSettings settings = [] {
    LocalizationSettings s;
    s.examples = 4;
    return s;
  }();
  LocalizationFigureSettings figure;
};

// "clean", "xA", "xV", "xAV": condition names fit for file names.
std::string ascii_condition(const std::string& name) {
  if (name == "clean") return name;
  std::string s = "x";
  for (char c : name)
    if (c == 'A' || c == 'V') s += c;
  return s;
}

// "/cello/000012.mp4" → "cello_000012"
std::string clip_stem(const std::string& clip) {
  std::string s;
  for (char c : std::filesystem::path(clip).replace_extension().string()) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    if (ok) s += c;
    else if (!s.empty() && s.back() != '_') s += '_';
  }
  while (!s.empty() && s.front() == '_') s.erase(s.begin());
  return s;
}

void run(const LocalizeOptions& o) {
  if (launch_local_ranks(o.dist)) return;
  // Several ranks score their shares of the clips; rank 0 writes the merged results.
  dist::ProcessGroup group = join_process_group();
  AVR_CHECK(o.model.empty(),
            "avr localize scores the localizer's attention map over the frame (paper Sec. 4.5), and "
            "a TorchScript module's forward returns logits (and f_a, f_v) but no map "
            "(docs/own_models.md): localize an avr localizer checkpoint with --checkpoint");
  AVR_CHECK(!o.checkpoint.empty(), "--checkpoint is required");
  apply_runtime_flags(o.runtime);
  const auto device = parse_device(o.runtime.device);
  auto loaded = load_checkpoint(o.checkpoint, device);
  AVR_CHECK(loaded.model->config().kind == ModelKind::Localizer, o.checkpoint, " holds a '",
            loaded.model->config().kind,
            "' model; `avr localize` needs a localizer (`avr train --model localizer`)");
  const DatasetSpec spec = o.data.spec().resolved();
  const auto classes = loaded.metadata.contains("classes")
                           ? loaded.metadata.at("classes").get<std::vector<std::string>>()
                           : dataset_classes(spec);
  AvDataset ds(spec, o.split, classes);
  const BoxTable boxes = read_box_table(o.boxes.empty() ? default_boxes_path(ds) : std::filesystem::path(o.boxes));
  ClipSettings clip;
  clip.image_size = loaded.model->config().image_size;
  clip.audio_length = loaded.model->config().audio_length;

  LocalizationSettings s = o.settings;
  if (o.random_start) apply_random_start(s.attack, s.attack_settings);
  const LocalizationFigureSettings& fig = o.figure;
  fig.validate();  // before the long run, not after it

  const auto r = evaluate_localization(loaded.model, ds, boxes, clip, s, true, &group);
  if (!group.is_root()) return;

  const std::filesystem::path out(o.out);
  ensure_dir(out);
  nlohmann::json meta = {{"checkpoint", o.checkpoint}, {"split", o.split},
                         {"dataset", nlohmann::json(spec)}, {"boxes", boxes.file.string()},
                         {"model", loaded.model->config()}, {"settings", s},
                         {"runtime", runtime_info()}, {"result", r}};
  write_file_atomic(out / "localization.json", meta.dump(2) + "\n");

  Table t;
  std::ostringstream caption;
  caption << "Sound-source localization of " << o.checkpoint << " on " << spec.name << " " << o.split
          << " (" << r.clips << " clips), " << r.attack << " eps " << s.budget.eps_single << " (✗A, ✗V) / "
          << s.budget.eps_both << " (✗AV), " << to_string(s.budget.space) << " space; cIoU at τ = 0.5";
  t.caption = caption.str();
  t.columns = {"condition", "accuracy (%)", "pointing game (%)", "mean cIoU", "AUC"};
  for (const auto& c : r.conditions)
    t.add_row({c.name, format_number(100 * c.scores.accuracy, 2),
               format_number(100 * c.scores.pointing_game, 2), format_number(c.scores.mean_ciou, 4),
               format_number(c.scores.auc, 4)});
  const auto& prior = r.center_prior;
  t.add_row({"center prior", "", format_number(100 * prior.pointing_game, 2),
             format_number(prior.mean_ciou, 4), format_number(prior.auc, 4)});
  t.add_row({"best fixed guess (x " + format_number(r.best_fixed.x, 1) + ", y " +
                 format_number(r.best_fixed.y, 1) + ")",
             "", format_number(100 * r.best_fixed.pointing_game(), 2), "", ""});
  write_table_files(out / "localization", t);
  std::cout << t.to_markdown() << "\nwrote " << o.out << "/localization.{json,csv,md}\n";

  if (r.examples.empty()) return;
  const auto panels = render_localization_panels(r, fig);
  ensure_dir(out / "heatmaps");
  for (const auto& p : panels) {
    char index[16];
    std::snprintf(index, sizeof index, "%02lld", static_cast<long long>(p.example));
    write_png(out / "heatmaps" /
                  (std::string(index) + "_" + clip_stem(r.examples.at(p.example).clip) + "_" +
                   ascii_condition(p.condition) + ".png"),
              p.image);
  }
  write_png(out / "localization_montage.png", localization_montage(r, fig));
  std::cout << "wrote " << panels.size() << " heatmaps to " << o.out
            << "/heatmaps/ and the figure " << o.out
            << "/localization_montage.png (rows: clips; columns: "
            << (s.clean_only ? "clean" : "clean, ✗A, ✗V, ✗AV") << ")\n";
}

const bool registered = register_command(
    {"localize",
     "sound-source localization (pointing game, cIoU, AUC vs ground-truth boxes) clean and under "
     "✗A/✗V/✗AV, with heatmap figures",
     45, [](CLI::App& app) {
       app.footer(
           "Scores where a localizer (`avr train --model localizer`) looks: its audio-guided "
           "attention map, upsampled to the input, against the sounding instrument's box in the "
           "clip's center frame (DATA_ROOT/boxes.json, written by `avr synth`). Pointing game: the "
           "map's peak lies in the box. cIoU: IoU of the map binarized at half its min-max range "
           "and the box (Senocak et al. 2018). AUC: area under the share of clips with cIoU ≥ t, "
           "t = 0..1. Each is reported clean and with the attack on audio (✗A), frames (✗V) and "
           "both (✗AV).\n"
           "Example: avr localize --checkpoint runs/loc/model.pt --data-root data/tiny --limit 64 "
           "--out runs/loc/localize");
       auto o = std::make_shared<LocalizeOptions>();
       add_runtime_flags(app, o->runtime);
       add_dist_flags(app, o->dist);
       add_dataset_flags(app, o->data);
       app.add_option("--checkpoint", o->checkpoint, "a localizer .pt written by `avr train --model localizer`");
       app.add_option("--model", o->model,
                      "a TorchScript module: not supported (its forward gives no attention map), "
                      "the error says why");
       app.add_option("--out", o->out,
                      "folder for localization.{json,csv,md}, heatmaps/*.png and localization_montage.png")
           ->required();
       app.add_option("--split", o->split, "train | val | test")->capture_default_str();
       app.add_option("--boxes", o->boxes, "ground-truth boxes (default: DATA_ROOT/boxes.json)");
       LocalizationSettings& s = o->settings;
       add_setting(app, "--attack", s.attack, "fgsm, pgd, mim, apgd, apgd-t or mim_original");
       add_budget_flags(app, s.budget);
       app.add_flag("--random-start", o->random_start, "PGD and MIM start at a random point of the ball (PGD then steps 2.5·ε/steps; APGD always does)");
       app.add_flag("--clean-only", s.clean_only,
                    "score the clean inputs only, no attacks (seconds instead of minutes)");
       add_setting(app, "--limit", s.limit, "first N clips of the split (0: all)");
       add_setting(app, "--examples", s.examples, "clips drawn in the figures (0: none)");
       add_setting(app, "--display-size", o->figure.display_size, "side of each figure panel in pixels");
       add_setting(app, "--batch-size", s.batch_size, "clips per attack batch");
       add_setting(app, "--seed", s.seed, "seed of random starts");
       add_setting(app, "--workers", s.workers, "loader threads");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
