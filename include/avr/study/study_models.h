// The models the study trains (paper Secs. 4.3–4.6): the Concat audio-visual
// model and both unimodal baselines (Table 1), the other four fusions
// (Table 2), the MinSim / MaxSim / PCL defenses (Tables 3, 6) and the
// sound-source localizer (Fig. 4), and beyond the paper the FGSM-RS
// adversarial-training baseline on ✗AV (rows of Tables 3 and 6; the CLI also
// trains at-pgd and trades). ExFMem needs no training of its own.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/models/model_config.h"
#include "avr/train/losses.h"

namespace avr {

struct ModelPlan {
  std::string name;    // folder under OUT/models and key in results.json
  std::string title;   // as the paper's tables name it
  ModelKind kind;
  FusionKind fusion;  // None for the unimodal models
  LossKind loss;
  // Fine-tuned from the unimodal encoders when the study does that (the
  // embedded data; see StudyConfig::init_from_unimodal).
  bool from_unimodal = false;
};

// In training order: the unimodal models first (the others start from them).
const std::vector<ModelPlan>& study_model_plans();

// Why the checkpoint a cached training step left cannot be used, "" when it
// can: damaged (a digest of verify_checkpoint fails), or other weights than
// the step trained (`record`, the step's result, holds their weights_sha256; a
// record from before avr kept it trusts the file). The study then retrains the
// model and says why on stderr.
std::string cached_checkpoint_problem(const std::filesystem::path& checkpoint,
                                      const nlohmann::json& record);

}  // namespace avr
