#include "avr/models/model_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/error.h"

namespace avr {
namespace {

ModelConfig valid() {
  ModelConfig c;
  c.num_classes = 11;
  c.fusion = "gated_concat";
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
  EXPECT_EQ(back.fusion, "gated_concat");
  EXPECT_EQ(back.seed, 1234567890123ULL);
  EXPECT_FALSE(back.gate_projection);
  EXPECT_DOUBLE_EQ(back.attention_scale, 0.5);
  EXPECT_EQ(back.visual_pool, "avg");
  EXPECT_EQ(back.mismatch(c), "");
}

TEST(ModelConfig, ErrorsNameTheFieldAndTheChoices) {
  auto c = valid();
  c.kind = "audiovisual";
  EXPECT_NE(error_of(c).find("'audiovisual' is unknown: use one of av, audio, visual, localizer"),
            std::string::npos) << error_of(c);
  c = valid();
  c.fusion = "bilinear";
  EXPECT_NE(error_of(c).find("fusion 'bilinear' is unknown: use one of sum, concat, film"),
            std::string::npos) << error_of(c);
  c = valid();
  c.kind = "audio";
  c.fusion = "film";
  EXPECT_NE(error_of(c).find("only applies to kind 'av'"), std::string::npos) << error_of(c);
  c.fusion = "";
  EXPECT_EQ(error_of(c), "");
  c = valid();
  c.num_classes = 0;
  EXPECT_NE(error_of(c).find("num_classes is 0"), std::string::npos);
  c = valid();
  c.image_size = 16;
  EXPECT_NE(error_of(c).find("image_size 16"), std::string::npos);
  c.kind = "audio";  // an audio model does not care about frames
  c.fusion = "";
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
  b.fusion = "sum";
  b.num_classes = 5;
  EXPECT_EQ(a.mismatch(b), "fusion gated_concat vs sum; num_classes 11 vs 5");
  b = a;
  b.visual_pool = "max";  // the same weights pooled otherwise are another model
  EXPECT_EQ(a.mismatch(b), "visual_pool avg vs max");
  // Checkpoints written before visual_pool existed read as the paper's max pool.
  nlohmann::json old = {{"kind", "av"}, {"num_classes", 3}};
  EXPECT_EQ(old.get<ModelConfig>().visual_pool, "max");
  ModelConfig loc = a;
  loc.kind = "localizer";
  loc.fusion = "";
  EXPECT_EQ(loc.effective_fusion(), "concat");
}

TEST(ModelConfig, LocalizerAttentionMapIsCheckedWrittenAndReadBackCompatibly) {
  ModelConfig loc;
  loc.kind = "localizer";
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
