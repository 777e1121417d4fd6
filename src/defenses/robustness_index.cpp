#include "avr/defenses/robustness_index.h"

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"

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
  RobustnessScores out;
  JsonFields f(j, "robustness scores");
  f.require("clean", out.clean);
  f.require("attack_audio", out.attack_audio);
  f.require("attack_visual", out.attack_visual);
  f.require("attack_both", out.attack_both);
  f.raw("avg");  // derived (written for readers); recomputed from the four
  f.finish();
  out.validate();
  s = out;
}

double relative_improvement(const RobustnessScores& method, const RobustnessScores& none) {
  method.validate();
  none.validate();
  return (method.clean + method.avg()) - (none.clean + none.avg());
}

}  // namespace avr
