// The settings JSON of the three evaluations byte for byte: results carry it and the
// study's step-cache keys are made of it, so a changed key or value would recompute
// every cached step and leave stored results unreadable (avr issue 21: the attack
// budget became one type, the JSON stayed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/eval/embeddings.h"
#include "avr/eval/localization.h"
#include "avr/eval/robustness.h"

namespace avr {

TEST(SettingsJson, RobustnessLocalizationAndEmbeddingsKeepTheirKeys) {
  RobustnessSettings r;
  EXPECT_EQ(nlohmann::json(r).dump(),
            R"({"attack_settings":{},"attacks":["fgsm","pgd","mim"],"batch_size":16,"eps_both":0.006,)"
            R"("eps_single":0.012,"eps_space":"pixel","limit":0,"modalities":["audio","visual","audio_visual"],)"
            R"("seed":0,"through_defense":"network"})");
  r.budget = {EpsSpace::Normalized, 0.02, 0.01};
  EXPECT_EQ(nlohmann::json(r).at("eps_space"), "normalized");
  EXPECT_EQ(nlohmann::json(r).at("eps_single"), 0.02);
  EXPECT_EQ(nlohmann::json(r).at("eps_both"), 0.01);

  LocalizationSettings l;
  EXPECT_EQ(nlohmann::json(l).dump(),
            R"({"attack":"pgd","attack_settings":{},"batch_size":16,"clean_only":false,"eps_both":0.006,)"
            R"("eps_single":0.012,"eps_space":"pixel","examples":0,"limit":0,"seed":0})");

  EmbeddingSettings e;
  e.budget.eps_single = 0.03;
  e.budget.eps_both = 0.5;  // not used by the ✗A / ✗V runs, so not written
  EXPECT_EQ(nlohmann::json(e).dump(),
            R"({"attack":"pgd","attack_settings":{},"batch_size":16,"defended_features":false,"eps":0.03,)"
            R"("eps_space":"pixel","limit":0,"seed":0,"through_defense":"network"})");
}

}  // namespace avr
