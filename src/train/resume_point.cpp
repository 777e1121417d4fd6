#include "resume_point.h"

#include <iostream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"

namespace avr {
namespace {

const char* const kStartOver = "delete the run folder to start over, or choose another --out";

// The value of `key` in `j` as T, or an error naming the file and the key.
template <typename T>
T field(const nlohmann::json& j, const char* key, const std::filesystem::path& file, const char* what) {
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    AVR_FAIL("cannot resume from ", file, ": its ", what, " has no valid '", key,
             "' (not written by avr train?); ", kStartOver);
  }
}

// The adversarial-training record last.pt carries (AdversarialTrainingRun::start reads it).
void check_adversarial_record(const nlohmann::json& r, const std::filesystem::path& file) {
  bool ok = r.is_object() && r.contains("start_pgd_accuracy") && r["start_pgd_accuracy"].is_number() &&
            r.contains("epochs") && r["epochs"].is_array();
  if (ok)
    for (const auto& e : r["epochs"])
      ok = ok && e.is_object() && e.contains("collapsed") && e["collapsed"].is_boolean() &&
           e.contains("epoch") && e["epoch"].is_number_integer() && e.contains("pgd_accuracy") &&
           e["pgd_accuracy"].is_number();
  AVR_CHECK(ok, "cannot resume from ", file, ": its adversarial-training record is incomplete; ",
            kStartOver);
}

}  // namespace

std::filesystem::path state_path(const std::filesystem::path& run_dir, int epoch) {
  return run_dir / ("state-" + std::to_string(epoch) + ".pt");
}

CheckpointOrigin training_origin(const TrainConfig& c, const AvDataset& train_set) {
  CheckpointOrigin o;
  o.train_split = train_set.split();
  o.train_rows_sha256 = train_set.rows_sha256();
  o.settings = c;
  auto parent = [&](const char* role, const std::filesystem::path& file) {
    o.parents.push_back({{"role", role}, {"file", file.string()}, {"sha256", verify_checkpoint(file).weights_sha256}});
  };
  if (!c.init_audio.empty()) parent("init_audio", c.init_audio);
  if (!c.init_visual.empty()) parent("init_visual", c.init_visual);
  if (!c.visual_imagenet.empty())
    o.parents.push_back({{"role", "visual_imagenet"},
                         {"file", c.visual_imagenet.string()},
                         {"sha256", sha256_file(c.visual_imagenet)}});
  return o;
}

ResumePoint read_resume_point(const std::filesystem::path& run_dir, const nlohmann::json& config_json,
                              AvModel model, const CheckpointOrigin& origin) {
  const auto config_path = run_dir / "config.json", last_path = run_dir / "last.pt";
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(read_text_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("cannot resume ", run_dir, ": its config.json ", config_path, " is damaged (",
             e.what(), "); ", kStartOver);
  }
  AVR_CHECK(saved.is_object() && saved.contains("train") && saved.contains("classes"), "cannot resume ",
            run_dir, ": its config.json ", config_path, " lacks 'train' or 'classes' (damaged?); ",
            kStartOver);
  AVR_CHECK(saved["train"] == config_json.at("train") && saved["classes"] == config_json.at("classes"),
            "cannot resume ", run_dir, ": its config.json differs from this run's settings "
            "(use the same flags, or another --out)");

  CheckpointIdentity identity;
  ResumePoint r;
  r.metadata = load_checkpoint_into(last_path, model, &identity);
  if (identity.verified) {
    AVR_CHECK(identity.origin.train_rows_sha256 == origin.train_rows_sha256 &&
                  identity.origin.settings == origin.settings,
              "cannot resume from ", last_path, ": it was trained on other rows or with other "
              "settings than this run (another run's checkpoint copied here?); ", kStartOver);
  }
  const auto& meta = r.metadata;
  AVR_CHECK(meta.is_object(), "cannot resume from ", last_path, ": its metadata is not an object; ",
            kStartOver);
  r.epoch = field<int>(meta, "epoch", last_path, "metadata");
  r.best_epoch = field<int>(meta, "best_epoch", last_path, "metadata");
  r.best_val_accuracy = field<double>(meta, "best_val_accuracy", last_path, "metadata");
  r.history = field<nlohmann::json>(meta, "history", last_path, "metadata");
  AVR_CHECK(r.history.is_array(), "cannot resume from ", last_path, ": its history is not a list; ",
            kStartOver);
  if (meta.contains("stopped_early")) r.stopped = field<bool>(meta, "stopped_early", last_path, "metadata");
  if (meta.contains("adversarial")) check_adversarial_record(meta["adversarial"], last_path);

  r.state = state_path(run_dir, r.epoch);
  require_file(r.state, "optimizer state (needed to resume)");
  if (meta.contains("state_sha256")) {
    const std::string expected = field<std::string>(meta, "state_sha256", last_path, "metadata");
    AVR_CHECK(sha256_file(r.state) == expected, "cannot resume: optimizer state ", r.state,
              " is damaged (its SHA-256 differs from the one ", last_path, " recorded); ", kStartOver);
  } else {
    std::cerr << "avr train: warning: " << last_path << " records no digest of " << r.state
              << " (written by an older avr): resuming without checking it\n";
  }
  return r;
}

}  // namespace avr
