// Robustness of a (defended) model under attack (paper Tables 1–6): clean
// accuracy, accuracy under ✗A, ✗V and ✗AV for each attack, and their Avg.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "avr/attacks/attack_budget.h"
#include "avr/attacks/threat_model.h"
#include "avr/data/loader.h"
#include "avr/dist/process_group.h"
#include "avr/eval/defended_model.h"

namespace avr {

struct RobustnessSettings {
  std::vector<std::string> attacks = {"fgsm", "pgd", "mim"};
  std::vector<Modality> modalities = {Modality::Audio, Modality::Visual, Modality::AudioVisual};
  AttackBudget budget;  // ε of ✗A and ✗V, ε on each input of ✗AV
  nlohmann::json attack_settings = nlohmann::json::object();  // {"pgd": {"random_start": true}, ...}
  int64_t batch_size = 16;
  int64_t limit = 0;                    // first N clips of the split (0: all)
  uint64_t seed = 0;
  // Adaptive attacker: differentiate through ExFMem with this gradient (unrolled, BPDA,
  // implicit); empty (the default) attacks the bare network and applies the defense
  // afterwards (defended_model.h).
  ThroughDefense through_defense;
  int workers = 2;
  void validate() const;
};
// The budget's keys (eps_space, eps_single, eps_both) sit beside the others, as always.
void to_json(nlohmann::json& j, const RobustnessSettings& s);

struct AttackRow {
  std::string attack;
  nlohmann::json attack_settings;
  // Accuracy per attacked modality; absent when the model lacks that branch
  // (a unimodal model is only attacked on its own input).
  std::map<Modality, double> accuracy;
  std::map<Modality, ThreatModel> threat;
  std::map<Modality, double> max_linf_audio, max_linf_frames;  // measured, for the record
  // Per clip, in the report's clip order: the adversarial prediction still equals the label.
  std::map<Modality, std::vector<bool>> robust;
  // Composite attacks only (AutoAttack), else empty: the stage names (stages[0] = "clean") and,
  // per clip, the stage whose result fooled the attacked network (0: wrong before any attack;
  // -1: none did). The network the attack saw, so with a defense applied afterwards a clip can
  // be fooled here and still robust in `robust`.
  std::vector<std::string> stages;
  std::map<Modality, std::vector<int>> fooled_at;
  double seconds = 0;
  // (✗A + ✗V + ✗AV) / 3 over the modalities present.
  double average() const;
};

struct RobustnessReport {
  int64_t clips = 0;
  double clean_accuracy = 0;
  std::vector<int64_t> clip_indices;  // the split's row of each clip, in the order attacked
  std::vector<bool> clean_correct;    // per clip: the clean prediction equals the label
  std::vector<AttackRow> rows;
  double seconds = 0;
  const AttackRow& row(const std::string& attack) const;
};
// Per-clip flags are written as strings of '0'/'1' ("robust_clips", "clean_correct_clips").
void to_json(nlohmann::json& j, const RobustnessReport& r);
// Reads what to_json wrote (also a report from before per-clip results, which then has
// none); a malformed report is an avr::Error naming the field.
void from_json(const nlohmann::json& j, RobustnessReport& r);

// Optional per-batch hook, e.g. to save adversarial examples (adversarial_examples.h):
// the attack's name, the threat it ran under, the clean batch (on the CPU) and the
// adversarial inputs and predictions (on the CPU).
using AdversarialHook = std::function<void(const std::string& attack, const ThreatModel& threat, const Batch& clean,
                                           const torch::Tensor& adv_audio,
                                           const torch::Tensor& adv_frames,
                                           const torch::Tensor& adv_pred)>;

// With a distributed `group`, the clips are sharded over its ranks by batch (rank
// r attacks batches r, r + W, …: the batches of one process, so every clip meets
// the same batch-mates and the same random streams, clip_stream_key) and every
// rank returns the merged report: per-clip results in the order of one process,
// accuracies counted from them, measured L∞ the maximum over ranks, seconds the
// slowest rank's. The hook runs on the rank that attacked the batch. Only rank 0
// shows progress. Every rank of the group must call it with the same arguments.
RobustnessReport evaluate_robustness(const DefendedModel& model, const AvDataset& dataset,
                                     const ClipSettings& clip, const RobustnessSettings& settings,
                                     const torch::Device& device, bool show_progress = true,
                                     const AdversarialHook& hook = nullptr,
                                     dist::ProcessGroup* group = nullptr);

// One report from the reports of disjoint shards of the same run (same attacks,
// modalities and settings), its clips in ascending clip index — the order in
// which one process attacks a split. Accuracies are recounted from the per-clip
// flags, so they equal one process's bit for bit.
RobustnessReport merge_robustness_shards(const std::vector<RobustnessReport>& shards);

// CSV of a report: attack, clean, ✗A, ✗V, ✗AV, Avg (percent).
std::string robustness_csv(const RobustnessReport& r);

}  // namespace avr
