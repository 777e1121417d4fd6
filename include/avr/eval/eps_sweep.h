// Accuracy vs attack strength (paper Figures 3, 7, 8): one attack's robustness
// report at each ε of a list, with ε_a = ε_v = ε for every attacked modality (✗AV
// included). `avr attack --eps-sweep` runs it; the study runs the same points as
// cached steps, one per model (study_sweep.cpp).
#pragma once

#include <vector>

#include "avr/eval/robustness.h"

namespace avr {

struct EpsSweepPoint {
  double eps = 0;  // ε_a = ε_v, in the settings' eps space
  RobustnessReport report;
};

// The settings of the sweep point at `eps`: `base` with the budget
// AttackBudget::uniform(eps, base.budget.space). An avr::Error unless `base` names
// exactly one attack or when eps is negative or not finite.
RobustnessSettings eps_sweep_settings(const RobustnessSettings& base, double eps);

// evaluate_robustness (same model, clips, group and progress) at every ε of
// `eps_list`, in its order: one point per ε. Errors: those of eps_sweep_settings
// (checked for every ε before any attack runs) and of evaluate_robustness.
std::vector<EpsSweepPoint> run_eps_sweep(const DefendedModel& model, const AvDataset& dataset,
                                         const ClipSettings& clip, const RobustnessSettings& base,
                                         const std::vector<double>& eps_list, const torch::Device& device,
                                         bool show_progress = true, dist::ProcessGroup* group = nullptr);

// Modality m's curve over the points: ε and the attack's accuracy in percent
// (100 · accuracy), leaving out points where m was not attacked (a unimodal model).
struct EpsSweepCurve {
  std::vector<double> eps, accuracy_percent;
};
EpsSweepCurve eps_sweep_curve(const std::vector<EpsSweepPoint>& points, Modality m);

}  // namespace avr
