// What a training run resumes from, read and checked before any of it is used:
// the run's config.json, last.pt (its digests, its identity against this run's)
// and the optimizer state last.pt points at (its SHA-256, recorded in last.pt).
// Every problem is one avr::Error naming the file and what to do.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "avr/data/dataset.h"
#include "avr/models/av_model.h"
#include "avr/models/checkpoint.h"
#include "avr/train/train_config.h"

namespace avr {

// state-<epoch>.pt in the run folder: the optimizer state after that epoch.
std::filesystem::path state_path(const std::filesystem::path& run_dir, int epoch);

// What this run's checkpoints are derived from: the training rows, the
// settings, and the checkpoints or weights it starts from (their digests).
CheckpointOrigin training_origin(const TrainConfig& config, const AvDataset& train_set);

struct ResumePoint {
  int epoch = 0;                 // epochs finished
  nlohmann::json history;        // last.pt's per-epoch history
  int best_epoch = 0;
  double best_val_accuracy = -1;
  bool stopped = false;          // adversarial training stopped after a collapse
  nlohmann::json metadata;       // all of last.pt's metadata
  std::filesystem::path state;   // the optimizer state to load (verified when last.pt has its digest)
};

// Loads last.pt into `model` after checking that config.json holds this run's
// settings (`config_json`: "train" and "classes") and that last.pt was trained
// on the same rows with the same settings (`origin`).
ResumePoint read_resume_point(const std::filesystem::path& run_dir, const nlohmann::json& config_json,
                              AvModel model, const CheckpointOrigin& origin);

}  // namespace avr
