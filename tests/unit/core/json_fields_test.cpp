// The strict JSON reader every settings/results from_json uses.
#include "avr/core/json_fields.h"

#include <gtest/gtest.h>

#include "avr/defenses/lasso.h"
#include "avr/models/model_config.h"
#include "avr/train/train_config.h"
#include "test_support.h"

namespace avr {
namespace {

struct Point {
  int x = 1;
  double y = 2.5;
  std::string name = "p";
};

Point read_point(const nlohmann::json& j) {
  Point p;
  JsonFields f(j, "point");
  f.require("x", p.x);
  f.read("y", p.y);
  f.read_as("name", p.name, [](const std::string& s) {
    AVR_CHECK(s != "bad", "name must not be 'bad'");
    return s + "!";
  });
  f.finish();
  return p;
}

TEST(JsonFields, ReadsRequiredOptionalAndParsedKeys) {
  const Point p = read_point({{"x", 3}, {"name", "q"}});
  EXPECT_EQ(p.x, 3);
  EXPECT_EQ(p.y, 2.5);  // absent: the default stays
  EXPECT_EQ(p.name, "q!");
}

TEST(JsonFields, NamesTheKeyOfEveryMistake) {
  EXPECT_NE(test::error_of([] { read_point({{"x", 1}, {"z", 0}}); }).find("point: unknown key 'z'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { read_point({{"y", 1.0}}); }).find("point: key 'x' is missing"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { read_point({{"x", "three"}}); }).find("key 'x' has the wrong type"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { read_point({{"x", 1}, {"name", "bad"}}); }).find("must not be 'bad'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { read_point(nlohmann::json::array()); }).find("expected a JSON object"),
            std::string::npos);
}

// The settings that used to ignore a misspelled key (j.value idiom) now refuse it.
TEST(JsonFields, SettingsRefuseMisspelledKeys) {
  EXPECT_NE(test::error_of([] { nlohmann::json{{"lambdaa", 0.2}}.get<LassoSettings>(); })
                .find("unknown key 'lambdaa'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { nlohmann::json{{"epoch", 3}}.get<TrainConfig>(); }).find("unknown key 'epoch'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              nlohmann::json{{"kind", "av"}, {"num_classes", 3}, {"fusoin", "sum"}}.get<ModelConfig>();
            }).find("unknown key 'fusoin'"),
            std::string::npos);
  // Round trips still hold.
  LassoSettings s;
  s.lambda = 0.2;
  s.solver = LassoSolver::kFista;
  EXPECT_EQ(nlohmann::json(nlohmann::json(s).get<LassoSettings>()), nlohmann::json(s));
  TrainConfig c;
  c.epochs = 7;
  c.model.kind = ModelKind::AudioVisual;
  c.model.num_classes = 5;
  EXPECT_EQ(nlohmann::json(nlohmann::json(c).get<TrainConfig>()), nlohmann::json(c));
}

}  // namespace
}  // namespace avr
