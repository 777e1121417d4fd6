// Everything one training run depends on, with the original scripts' values
// as presets per dataset (ORIGINAL.md, "Training") and presets for the
// embedded profiles (DATASET.md). Written next to every checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "avr/data/loader.h"
#include "avr/models/model_config.h"
#include "avr/train/adversarial_training.h"
#include "avr/train/losses.h"

namespace avr {

struct TrainConfig {
  ModelConfig model;          // num_classes, image_size, audio_length filled from the dataset
  LossSettings loss;
  int epochs = 100;
  int64_t batch_size = 48;
  double lr_audio = 1e-3;     // the original scripts' values (the paper text swaps a/v)
  double lr_visual = 1e-4;
  double lr_head = 1e-3;
  double momentum = 0.9;
  double weight_decay = 1e-4;
  int lr_step = 30;           // lr × lr_gamma every lr_step epochs
  double lr_gamma = 0.1;
  uint64_t seed = 0;
  int workers = 2;            // loader threads
  int64_t limit_train = 0;    // use only the first N training clips (0: all)
  // Start an AV model from trained unimodal checkpoints (see init_from_unimodal).
  std::filesystem::path init_audio, init_visual;
  // torchvision ImageNet ResNet18 weights for the visual net, when the user has them.
  std::filesystem::path visual_imagenet;
  // Localizer only: weight λ of the attended-visual loss added to the CE
  // (avr/train/attended_visual_loss.h); 0 trains with the CE alone. Written to
  // JSON (and so to the study's step keys) only for localizers; a localizer
  // config without it was trained before the term existed and reads as 0.
  double attended_visual_weight = 1.0;
  // Adversarial-training losses only (at-fgsm-rs | at-pgd | trades): the inner
  // attack's threat, steps and the collapse monitor. Written to JSON (and so to
  // the study's step keys) only for those losses.
  AdversarialTrainingSettings adversarial;

  void validate() const;
};
void to_json(nlohmann::json& j, const TrainConfig& c);
void from_json(const nlohmann::json& j, TrainConfig& c);

// music | kinetics | ave | embedded-tiny | embedded-default | embedded-large | embedded-paper,
// and for the embedded profiles the fine-tuning presets "<profile>-finetune"
// used for fused models that start from the unimodal encoders.
TrainConfig train_preset(const std::string& name);
std::vector<std::string> train_preset_names();

// Model input size and audio window of the dataset `dataset` (music, kinetics, ave, embedded)
// in `data_root`: the embedded generator records them in manifest.json; without one, the
// original scripts' 224 px and their waveform length (65535 samples, AVE 33075:
// original_audio_length).
std::pair<int64_t, int64_t> dataset_input_sizes(const std::filesystem::path& data_root,
                                                const std::string& dataset);

}  // namespace avr
