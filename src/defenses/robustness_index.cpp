#include "avr/defenses/robustness_index.h"

#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

void check_percent(double v, const char* name) {
  AVR_CHECK(std::isfinite(v) && v >= 0 && v <= 100, "accuracy ", name,
            " must be a percentage in [0, 100], got ", v);
}

}  // namespace

double attack_average(double attack_audio, double attack_visual, double attack_both) {
  return (attack_audio + attack_visual + attack_both) / 3.0;
}

double RobustnessScores::avg() const {
  return attack_average(attack_audio, attack_visual, attack_both);
}

void RobustnessScores::validate() const {
  check_percent(clean, "clean (✓AV)");
  check_percent(attack_audio, "attack_audio (✗A)");
  check_percent(attack_visual, "attack_visual (✗V)");
  check_percent(attack_both, "attack_both (✗AV)");
}

void to_json(nlohmann::json& j, const RobustnessScores& s) {
  j = nlohmann::json{{"clean", s.clean},
                     {"attack_audio", s.attack_audio},
                     {"attack_visual", s.attack_visual},
                     {"attack_both", s.attack_both},
                     {"avg", s.avg()}};
}

void from_json(const nlohmann::json& j, RobustnessScores& s) {
  s.clean = j.at("clean").get<double>();
  s.attack_audio = j.at("attack_audio").get<double>();
  s.attack_visual = j.at("attack_visual").get<double>();
  s.attack_both = j.at("attack_both").get<double>();
  s.validate();
}

double relative_improvement(const RobustnessScores& method, const RobustnessScores& none) {
  method.validate();
  none.validate();
  return (method.clean + method.avg()) - (none.clean + none.avg());
}

}  // namespace avr
