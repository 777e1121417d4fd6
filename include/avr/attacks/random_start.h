// What a command's `--random-start` flag changes in an attack's settings: the one rule
// `avr attack` and `avr localize` share.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace avr {

// The settings keys to set for `attack` (a make_attack name) to start at a random point of
// the ε-ball: PGD starts at a uniform point and steps Madry et al.'s 2.5·ε/steps instead of
// ε/8, which could not cross the ball (pgd_random_start_step); MIM starts there with its own
// step; APGD and APGD-T start there anyway (set explicitly). Nothing for an attack that has
// no random start (FGSM, the original's MIM, Square, AutoAttack).
std::optional<nlohmann::json> random_start_settings(const std::string& attack);

// Sets those keys in `settings` (an attack's settings object, or null); throws, naming
// --random-start, when `attack` has no random start.
void apply_random_start(const std::string& attack, nlohmann::json& settings);

}  // namespace avr
