#include "avr/attacks/random_start.h"

#include "avr/attacks/pgd.h"
#include "avr/core/error.h"

namespace avr {

std::optional<nlohmann::json> random_start_settings(const std::string& attack) {
  if (attack == "pgd")
    return nlohmann::json{{"random_start", true},
                          {"step_size", pgd_random_start_step(PgdSettings{}.steps)}};
  if (attack == "mim" || attack == "apgd" || attack == "apgd-t") return nlohmann::json{{"random_start", true}};
  return std::nullopt;
}

void apply_random_start(const std::string& attack, nlohmann::json& settings) {
  const auto keys = random_start_settings(attack);
  AVR_CHECK(keys, "--random-start: the ", attack,
            " attack has no random start (pgd, mim, apgd and apgd-t have one)");
  if (settings.is_null()) settings = nlohmann::json::object();
  settings.update(*keys);
}

}  // namespace avr
