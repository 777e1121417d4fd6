#include "avr/attacks/random_start.h"

#include <gtest/gtest.h>

#include "avr/attacks/attack.h"
#include "test_support.h"

namespace avr {

// --random-start means the same in every command: each attack that has a random start
// accepts the keys and starts at a random point (PGD with Madry et al.'s 2.5·ε/steps); the
// others are refused naming the flag, never silently run without one.
TEST(RandomStart, EveryAttackEitherStartsAtRandomOrIsRefused) {
  int with = 0;
  for (const auto& name : attack_names()) {
    const auto keys = random_start_settings(name);
    nlohmann::json settings;
    if (!keys) {
      const std::string e = test::error_of([&] { apply_random_start(name, settings); });
      EXPECT_NE(e.find("--random-start: the " + name + " attack has no random start"), std::string::npos) << e;
      continue;
    }
    ++with;
    settings = {{"seed", 3}};
    apply_random_start(name, settings);
    EXPECT_EQ(settings.at("seed"), 3) << name;  // merged, not replaced
    const nlohmann::json made = make_attack(name, settings)->settings_json();
    EXPECT_EQ(made.at("random_start"), true) << name;
    if (name == "pgd") EXPECT_DOUBLE_EQ(made.at("step_size").get<double>(), 0.25);
  }
  EXPECT_EQ(with, 4);  // pgd, mim, apgd, apgd-t
  EXPECT_FALSE(random_start_settings("fgsm"));
  EXPECT_FALSE(random_start_settings("mim_original"));
}

}  // namespace avr
