#include "setting_flags.h"

namespace avr::cli {

void add_budget_flags(CLI::App& app, AttackBudget& budget) {
  add_setting(app, "--eps", budget.eps_single, "L∞ budget of ✗A and ✗V (paper: 0.012)");
  add_setting(app, "--eps-both", budget.eps_both, "L∞ budget on each input for ✗AV (paper: 0.006)");
  add_setting_with<std::string>(
      app, "--eps-space", [&budget](const std::string& t) { budget.space = parse_eps_space(t); },
      to_string(budget.space),
      "pixel: frames in [0,1], waveform in [-1,1]; normalized: the original code's eps on "
      "ImageNet-normalized frames");
}

}  // namespace avr::cli
