// Audio and visual embeddings of clean and attacked clips, and their joint
// t-SNE map (paper Fig. 5: clean audio ● and visual ▲; Fig. 10: + the audio of
// ✗A-attacked clips ★; Fig. 11: + the visual of ✗V-attacked clips ★), with
// numbers that say what the picture shows so a finding can be checked.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/attacks/attack_budget.h"
#include "avr/attacks/threat_model.h"
#include "avr/data/dataset.h"
#include "avr/eval/defended_model.h"
#include "avr/eval/tsne.h"
#include "avr/report/scatter_plot.h"

namespace avr {

namespace dist {
class ProcessGroup;
}

struct EmbeddingSettings {
  std::string attack = "pgd";  // as make_attack takes it
  // Fields of that attack's settings; a randomized attack without "seed" gets `seed`.
  nlohmann::json attack_settings = nlohmann::json::object();
  // budget.eps_single: the L∞ budget of the ✗A and of the ✗V attack (no ✗AV runs
  // here, so eps_both is neither used nor written).
  AttackBudget budget;
  // Features after ExFMem (what the classifier sees) when the model has it;
  // false: the encoders' output, as the paper's MinSim figures show.
  bool defended_features = false;
  // Adaptive attacker: differentiate through ExFMem (see RobustnessSettings).
  ThroughDefense through_defense;
  int64_t batch_size = 16;
  int64_t limit = 0;  // first N clips of the split (0: all)
  uint64_t seed = 0;
  int workers = 2;
  void validate() const;
};
// The budget as "eps" (its eps_single) and "eps_space", as always.
void to_json(nlohmann::json& j, const EmbeddingSettings& s);

// One row per clip, in the split's order; CPU float32 [N, d] features (d = 512 for
// avr's models, the module's d_a and d_v for a TorchScript one).
struct ClipEmbeddings {
  torch::Tensor audio, visual;     // clean f_a, f_v
  torch::Tensor attacked_audio;    // f_a of the clip after the ✗A attack
  torch::Tensor attacked_visual;   // f_v of the clip after the ✗V attack
  torch::Tensor labels, indices;   // [N] int64: true class, dataset row
  std::vector<std::string> classes;
  std::string attack;
  nlohmann::json attack_settings;  // as the attack read them back
  ThreatModel audio_threat, visual_threat;
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// Runs the model on the first `limit` clips of `dataset`, attacking each batch
// once on audio only and once on visual only (the same sub-streams as
// evaluate_robustness, so the adversarial clips are the ones it scores). The
// features come from model.feature_model() (feature_model.h): avr's audio-visual
// models, or a TorchScript module with encode and classify; anything else (one
// branch, forward only) is an avr::Error. Tensors live on `device` while computed.
// With a distributed `group`, the ranks take their shares of the batches and
// every rank returns all clips' rows in dataset order, as one process would.
ClipEmbeddings collect_embeddings(const DefendedModel& model, const AvDataset& dataset,
                                  const ClipSettings& clip, const EmbeddingSettings& settings,
                                  const torch::Device& device, bool show_progress = false,
                                  dist::ProcessGroup* group = nullptr);

enum class EmbeddingGroup { Audio, Visual, AttackedAudio, AttackedVisual };
// "audio" | "visual" | "attacked audio" | "attacked visual"
std::string to_string(EmbeddingGroup g);
// Fig. 5: audio, visual; Fig. 10: + attacked audio; Fig. 11: + attacked visual.
std::vector<EmbeddingGroup> paper_figure_groups(int figure);

// What a group looks like, measured on L2-normalized features with cosine
// distance (and, for map_silhouette, on the 2-D map). A clean group is compared
// with itself, an attacked group with the clean group of its modality — the
// paper's "attacked samples are closer to clean samples of the same category";
// a point is never compared with itself or with its own clip's clean feature.
struct GroupStats {
  std::string group;
  int64_t points = 0;
  // Fraction whose nearest reference point has the point's true class.
  double nn_accuracy = 0;
  // Mean distance to same-class reference points / mean distance to the
  // others: below 1 is class structure, lower is more compact and separable.
  double intra_inter_ratio = 0;
  // Mean silhouette (Rousseeuw 1987) against the reference points: in [-1, 1],
  // higher is better separated; a point whose class has no reference point counts 0.
  double silhouette = 0;
  double map_silhouette = 0;  // the same on the t-SNE map (Euclidean): what the eye sees
  // Attacked groups: mean cosine distance to the clip's own clean feature
  // (how far the attack moved it); NaN for clean groups.
  double shift = 0;
};
// A number that is not finite (a clean group's shift) is written as null and read back as NaN.
void to_json(nlohmann::json& j, const GroupStats& s);
void from_json(const nlohmann::json& j, GroupStats& s);

struct EmbeddingMap {
  std::vector<EmbeddingGroup> groups;
  TsneResult tsne;          // rows: groups in order, each in clip order
  std::vector<GroupStats> stats;  // one per group
  ScatterPlot plot;         // plot.to_svg() is the figure
  const GroupStats& stats_of(EmbeddingGroup g) const;
};
void to_json(nlohmann::json& j, const EmbeddingMap& m);  // groups, stats, KL (not the points)

// Joint t-SNE of the chosen groups (one map, so the groups' relative places
// are comparable), the stats and the scatter plot.
EmbeddingMap embedding_map(const ClipEmbeddings& e, const std::vector<EmbeddingGroup>& groups,
                           const TsneSettings& tsne, const std::string& title = "");

}  // namespace avr
