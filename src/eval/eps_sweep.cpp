#include "avr/eval/eps_sweep.h"

#include <cmath>

#include "avr/core/error.h"

namespace avr {

RobustnessSettings eps_sweep_settings(const RobustnessSettings& base, double eps) {
  AVR_CHECK(base.attacks.size() == 1, "an eps sweep runs one attack, got ", base.attacks.size(),
            ": give a single --attack");
  AVR_CHECK(std::isfinite(eps) && eps >= 0, "sweep eps must be ≥ 0, got ", eps);
  RobustnessSettings s = base;
  s.budget = AttackBudget::uniform(eps, base.budget.space);
  return s;
}

std::vector<EpsSweepPoint> run_eps_sweep(const DefendedModel& model, const AvDataset& dataset,
                                         const ClipSettings& clip, const RobustnessSettings& base,
                                         const std::vector<double>& eps_list, const torch::Device& device,
                                         bool show_progress, dist::ProcessGroup* group) {
  for (double eps : eps_list) eps_sweep_settings(base, eps);
  std::vector<EpsSweepPoint> points;
  for (double eps : eps_list)
    points.push_back({eps, evaluate_robustness(model, dataset, clip, eps_sweep_settings(base, eps), device,
                                               show_progress, nullptr, group)});
  return points;
}

EpsSweepCurve eps_sweep_curve(const std::vector<EpsSweepPoint>& points, Modality m) {
  EpsSweepCurve c;
  for (const auto& p : points) {
    AVR_CHECK(p.report.rows.size() == 1, "an eps sweep point holds one attack's row, got ", p.report.rows.size());
    const auto& acc = p.report.rows[0].accuracy;
    const auto it = acc.find(m);
    if (it == acc.end()) continue;
    c.eps.push_back(p.eps);
    c.accuracy_percent.push_back(100 * it->second);
  }
  return c;
}

}  // namespace avr
