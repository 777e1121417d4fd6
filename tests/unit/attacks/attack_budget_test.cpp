#include "avr/attacks/attack_budget.h"

#include <gtest/gtest.h>

#include <cmath>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "test_support.h"

namespace avr {

TEST(AttackBudget, PaperDefaultsAndOneThreatPerModality) {
  const AttackBudget b;
  EXPECT_EQ(b.eps_single, kPaperEpsSingle);
  EXPECT_EQ(b.eps_both, kPaperEpsBoth);
  EXPECT_EQ(b.space, EpsSpace::Pixel);
  for (auto m : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const ThreatModel t = b.threat(m), paper = ThreatModel::paper(m);
    EXPECT_EQ(t.eps_a, paper.eps_a) << to_string(m);
    EXPECT_EQ(t.eps_v, paper.eps_v) << to_string(m);
    EXPECT_EQ(t.modality, m);
  }
  const ThreatModel n = AttackBudget::uniform(0.03, EpsSpace::Normalized).threat(Modality::AudioVisual);
  EXPECT_EQ(n.eps_a, 0.03);
  EXPECT_EQ(n.eps_v, 0.03);
  EXPECT_EQ(n.space, EpsSpace::Normalized);
}

TEST(AttackBudget, JsonKeepsTheSettingsKeysAndRejectsTyposAndBadValues) {
  const AttackBudget b{EpsSpace::Normalized, 0.02, 0.01};
  const nlohmann::json j = b;
  // The keys results and the study's step-cache keys have always held.
  EXPECT_EQ(j.dump(), R"({"eps_both":0.01,"eps_single":0.02,"eps_space":"normalized"})");
  const auto back = j.get<AttackBudget>();
  EXPECT_EQ(back.space, b.space);
  EXPECT_EQ(back.eps_single, b.eps_single);
  EXPECT_EQ(back.eps_both, b.eps_both);
  EXPECT_EQ(nlohmann::json::object().get<AttackBudget>().eps_both, kPaperEpsBoth);
  EXPECT_NE(test::error_of([] { nlohmann::json{{"eps_singel", 0.1}}.get<AttackBudget>(); })
                .find("unknown key 'eps_singel'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { nlohmann::json{{"eps_space", "linf"}}.get<AttackBudget>(); }).find("linf"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { AttackBudget{EpsSpace::Pixel, -0.1, 0.0}.validate(); }).find("--eps"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { AttackBudget{EpsSpace::Pixel, 0.1, NAN}.validate(); }).find("eps must be"),
            std::string::npos);
}

TEST(AttackBudget, SeedRuleGivesRandomizedAttacksTheRunsSeedOnly) {
  EXPECT_EQ(make_seeded_attack("pgd", nlohmann::json::object(), 7)->settings_json().at("seed"), 7);
  EXPECT_EQ(make_seeded_attack("pgd", {{"seed", 3}}, 7)->settings_json().at("seed"), 3);
  EXPECT_FALSE(make_seeded_attack("fgsm", nlohmann::json::object(), 7)->settings_json().contains("seed"));
}

}  // namespace avr
