#include "avr/models/model_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "test_support.h"

namespace avr {
namespace {

ModelConfig valid() {
  ModelConfig c;
  c.num_classes = 11;
  c.fusion = FusionKind::GatedConcat;
  c.image_size = 48;
  c.audio_length = 8192;
  c.gate_projection = false;
  c.attention_scale = 0.5;
  c.visual_pool = "avg";
  c.seed = 1234567890123ULL;
  return c;
}

std::string error_of(const ModelConfig& c) {
  try {
    c.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, JsonRoundTripKeepsEveryField) {
  const ModelConfig c = valid();
  const nlohmann::json j = c;
  const ModelConfig back = j.get<ModelConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.fusion, FusionKind::GatedConcat);
  EXPECT_EQ(back.seed, 1234567890123ULL);
  EXPECT_FALSE(back.gate_projection);
  EXPECT_DOUBLE_EQ(back.attention_scale, 0.5);
  EXPECT_EQ(back.visual_pool, "avg");
  EXPECT_EQ(back.mismatch(c), "");
}

TEST(ModelConfig, ErrorsNameTheFieldAndTheChoices) {
  // A kind is an enum: only its JSON (a checkpoint, a flag) can name an unknown one.
  const std::string bad_kind = test::error_of([] { parse_model_kind("audiovisual"); });
  EXPECT_NE(bad_kind.find("'audiovisual' is unknown: use one of av, audio, visual, localizer"), std::string::npos)
      << bad_kind;
  const std::string bad_json = test::error_of(
      [] { nlohmann::json{{"kind", "audiovisual"}, {"num_classes", 3}}.get<ModelConfig>(); });
  EXPECT_NE(bad_json.find("'audiovisual' is unknown"), std::string::npos) << bad_json;
  for (const ModelKind k : {ModelKind::AudioVisual, ModelKind::Audio, ModelKind::Visual, ModelKind::Localizer})
    EXPECT_EQ(parse_model_kind(nlohmann::json(k).get<std::string>()), k);
  auto c = valid();
  const std::string bad_fusion = test::error_of([] { parse_fusion("bilinear"); });
  EXPECT_NE(bad_fusion.find("fusion 'bilinear' is unknown: use one of sum, concat, film"), std::string::npos)
      << bad_fusion;
  for (const FusionKind f : fusion_kinds()) EXPECT_EQ(parse_fusion(nlohmann::json(f).get<std::string>()), f);
  c.fusion = FusionKind::None;
  EXPECT_NE(error_of(c).find("an av model needs a fusion"), std::string::npos) << error_of(c);
  c = valid();
  c.kind = ModelKind::Audio;
  c.fusion = FusionKind::Film;
  EXPECT_NE(error_of(c).find("only applies to kind 'av'"), std::string::npos) << error_of(c);
  c.fusion = FusionKind::None;
  EXPECT_EQ(error_of(c), "");
  c = valid();
  c.num_classes = 0;
  EXPECT_NE(error_of(c).find("num_classes is 0"), std::string::npos);
  c = valid();
  c.image_size = 16;
  EXPECT_NE(error_of(c).find("image_size 16"), std::string::npos);
  c.kind = ModelKind::Audio;  // an audio model does not care about frames
  c.fusion = FusionKind::None;
  EXPECT_EQ(error_of(c), "");
  c = valid();
  c.audio_length = 1000;
  EXPECT_NE(error_of(c).find("audio_length 1000"), std::string::npos);
  c = valid();
  c.visual_pool = "mean";
  EXPECT_NE(error_of(c).find("visual_pool 'mean' is unknown: use max"), std::string::npos);
}

TEST(ModelConfig, FromJsonRejectsTyposAndMissingFields) {
  nlohmann::json j = valid();
  j["fusoin"] = "sum";
  EXPECT_THROW(j.get<ModelConfig>(), Error);
  nlohmann::json k = {{"kind", "av"}};
  try {
    k.get<ModelConfig>();
    FAIL() << "missing num_classes accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_classes"), std::string::npos);
  }
  nlohmann::json m = {{"kind", "av"}, {"num_classes", "eleven"}};
  EXPECT_THROW(m.get<ModelConfig>(), Error);
  // Defaults fill what is left out.
  nlohmann::json d = {{"kind", "visual"}, {"num_classes", 3}};
  EXPECT_EQ(d.get<ModelConfig>().image_size, 224);
}

TEST(ModelConfig, MismatchListsWhatDecidesTheWeights) {
  const ModelConfig a = valid();
  ModelConfig b = a;
  b.seed = 7;  // the seed only decides the initial weights
  EXPECT_EQ(a.mismatch(b), "");
  b.fusion = FusionKind::Sum;
  b.num_classes = 5;
  EXPECT_EQ(a.mismatch(b), "fusion gated_concat vs sum; num_classes 11 vs 5");
  b = a;
  b.visual_pool = "max";  // the same weights pooled otherwise are another model
  EXPECT_EQ(a.mismatch(b), "visual_pool avg vs max");
  // Checkpoints written before visual_pool existed read as the paper's max pool.
  nlohmann::json old = {{"kind", "av"}, {"num_classes", 3}};
  EXPECT_EQ(old.get<ModelConfig>().visual_pool, "max");
  ModelConfig loc = a;
  loc.kind = ModelKind::Localizer;
  loc.fusion = FusionKind::None;
  EXPECT_EQ(loc.effective_fusion(), FusionKind::Concat);
}

TEST(ModelConfig, LocalizerAttentionMapIsCheckedWrittenAndReadBackCompatibly) {
  ModelConfig loc;
  loc.kind = ModelKind::Localizer;
  loc.num_classes = 4;
  EXPECT_EQ(loc.attention_map, "local");
  EXPECT_NO_THROW(loc.validate());
  nlohmann::json j = loc;
  EXPECT_EQ(j.at("attention_map"), "local");
  EXPECT_EQ(j.at("attention_temperature"), 5.0);
  EXPECT_EQ(j.get<ModelConfig>().mismatch(loc), "");
  // A localizer saved before the field existed attended on the last map.
  j.erase("attention_map");
  EXPECT_EQ(j.get<ModelConfig>().attention_map, "final");
  // Other kinds do not carry it (their configs, and step keys, are unchanged).
  ModelConfig av;
  av.num_classes = 4;
  EXPECT_FALSE(nlohmann::json(av).contains("attention_map"));
  auto other = loc;
  other.attention_map = "final";
  EXPECT_EQ(loc.mismatch(other), "attention_map local vs final");
  auto bad = loc;
  bad.localizer_stride = 16;
  EXPECT_NE(error_of(bad).find("attention_map local needs localizer_stride 8"), std::string::npos)
      << error_of(bad);
  bad = loc;
  bad.attention_query = "audio";
  EXPECT_NE(error_of(bad).find("needs attention_query projected"), std::string::npos) << error_of(bad);
  bad = loc;
  bad.attention_map = "layer3";
  EXPECT_NE(error_of(bad).find("attention_map 'layer3' is unknown"), std::string::npos) << error_of(bad);
  bad = loc;
  bad.attention_temperature = 0;
  EXPECT_NE(error_of(bad).find("attention_temperature 0 must be a positive number"), std::string::npos)
      << error_of(bad);
}

}  // namespace
}  // namespace avr
