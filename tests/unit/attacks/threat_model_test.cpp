#include "avr/attacks/threat_model.h"

#include <gtest/gtest.h>

#include "avr/attacks/apgd.h"
#include "avr/attacks/attack.h"
#include "avr/attacks/mim.h"
#include "avr/attacks/pgd.h"
#include "avr/core/error.h"

namespace avr {

TEST(ThreatModel, PaperSettingsAndPerChannelPixelBudget) {
  auto a = ThreatModel::paper(Modality::Audio);
  EXPECT_EQ(a.eps_a, 0.012);
  EXPECT_EQ(a.eps_v, 0.0);
  auto av = ThreatModel::paper(Modality::AudioVisual, EpsSpace::Normalized);
  EXPECT_EQ(av.eps_a, 0.006);
  EXPECT_EQ(av.eps_v, 0.006);
  // Normalized eps is a per-channel pixel budget eps·std_c; Pixel is eps itself.
  EXPECT_DOUBLE_EQ(av.pixel_eps_v(0), 0.006 * 0.229);
  EXPECT_DOUBLE_EQ(av.pixel_eps_v(2), 0.006 * 0.225);
  av.space = EpsSpace::Pixel;
  EXPECT_DOUBLE_EQ(av.pixel_eps_v(1), 0.006);
  EXPECT_EQ(paper_label(Modality::Visual), "✗V");
}

TEST(ThreatModel, JsonRoundTripAndRejectsTyposAndUnusedBudgets) {
  ThreatModel t = ThreatModel::single_eps(Modality::Visual, 0.03, EpsSpace::Normalized);
  nlohmann::json j = t;
  EXPECT_EQ(j.at("modality"), "visual");
  EXPECT_EQ(j.at("space"), "normalized");
  auto back = j.get<ThreatModel>();
  EXPECT_EQ(back.eps_v, 0.03);
  EXPECT_EQ(back.eps_a, 0.0);
  EXPECT_EQ(back.modality, Modality::Visual);
  EXPECT_EQ(back.space, EpsSpace::Normalized);

  EXPECT_THROW((nlohmann::json{{"eps_v", 0.1}, {"epsa", 0.1}}.get<ThreatModel>()), Error);
  EXPECT_THROW((nlohmann::json{{"modality", "audio"}, {"eps_v", 0.1}}.get<ThreatModel>()), Error);
  EXPECT_THROW((nlohmann::json{{"space", "imagenet"}}.get<ThreatModel>()), Error);
  ThreatModel bad;
  bad.eps_a = -0.1;
  EXPECT_THROW(bad.validate(), Error);
  bad.eps_a = 8;  // 8/255 meant
  EXPECT_THROW(bad.validate(), Error);
  // The pixel range check holds in the normalized space too (fixed fault: eps 8
  // normalized moved frames by the whole range): 8·0.229 pixels > 1.
  EXPECT_THROW(ThreatModel::single_eps(Modality::Visual, 8, EpsSpace::Normalized).validate(), Error);
  EXPECT_THROW(ThreatModel::single_eps(Modality::Visual, 8, EpsSpace::Pixel).validate(), Error);
  // Right at the limit: 1/0.224 normalized is one whole pixel range on channel 1.
  EXPECT_NO_THROW(ThreatModel::single_eps(Modality::Visual, 4.3, EpsSpace::Normalized).validate());
  EXPECT_THROW(ThreatModel::single_eps(Modality::Visual, 4.5, EpsSpace::Normalized).validate(), Error);
  try {
    ThreatModel m;
    m.modality = Modality::Audio;
    m.eps_v = 0.01;
    m.validate();
    FAIL() << "an unused eps_v must be rejected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("eps_v"), std::string::npos) << e.what();
  }
}

TEST(AttackSettings, JsonRoundTripDefaultsAndUnknownKeys) {
  PgdSettings p;
  EXPECT_EQ(p.steps, 10);
  EXPECT_EQ(p.step_size, 0.125);
  EXPECT_FALSE(p.random_start);
  auto pj = nlohmann::json{{"steps", 20}, {"random_start", true}, {"seed", 7}};
  auto pb = pj.get<PgdSettings>();
  EXPECT_EQ(pb.steps, 20);
  EXPECT_EQ(pb.seed, 7u);
  EXPECT_EQ(pb.step_size, 0.125);  // missing key keeps the default
  EXPECT_EQ(nlohmann::json(pb), nlohmann::json(nlohmann::json(pb).get<PgdSettings>()));

  EXPECT_EQ(MimSettings{}.decay, 1.0);
  EXPECT_EQ(ApgdSettings{}.steps, 100);
  EXPECT_THROW((nlohmann::json{{"stpes", 3}}.get<MimSettings>()), Error);
  EXPECT_THROW((nlohmann::json{{"steps", 0}}.get<ApgdSettings>()), Error);
  EXPECT_THROW((nlohmann::json{{"steps", "ten"}}.get<PgdSettings>()), Error);

  for (const auto& name : attack_names()) {
    auto a = make_attack(name);
    EXPECT_EQ(a->name(), name);
    // What an attack writes next to results builds the same attack again.
    EXPECT_EQ(make_attack(name, a->settings_json())->settings_json(), a->settings_json());
  }
  EXPECT_EQ(make_attack("apgd", {{"steps", 5}})->settings_json().at("steps"), 5);
  EXPECT_THROW(make_attack("cw"), Error);
  EXPECT_THROW(make_attack("fgsm", {{"steps", 3}}), Error);
}

}  // namespace avr
