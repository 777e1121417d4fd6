#include "avr/study/step_cache.h"

#include <fstream>

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "avr/study/study_config.h"
#include "test_support.h"

namespace avr {

TEST(StepCache, RunsOnceThenReusesUntilTheConfigChanges) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  int runs = 0;
  auto compute = [&] { return nlohmann::json{{"value", ++runs}}; };
  bool ran = false;
  EXPECT_EQ(cache.get_or_run("a", {{"eps", 0.006}}, compute, &ran)["value"], 1);
  EXPECT_TRUE(ran);
  EXPECT_EQ(cache.get_or_run("a", {{"eps", 0.006}}, compute, &ran)["value"], 1);
  EXPECT_FALSE(ran);
  // Another config under the same name recomputes and replaces the record.
  EXPECT_EQ(cache.get_or_run("a", {{"eps", 0.012}}, compute, &ran)["value"], 2);
  EXPECT_TRUE(ran);
  EXPECT_FALSE(cache.find("a", {{"eps", 0.006}}).has_value());
  // A fresh cache object on the same folder sees the records (a re-run).
  StepCache again(dir / "steps");
  EXPECT_EQ(again.find("a", {{"eps", 0.012}}).value()["value"], 2);
}

TEST(StepCache, ABrokenRecordIsRecomputedNotTrusted) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  cache.store("b", {{"k", 1}}, {{"value", 7}}, 0.5);
  std::ofstream(cache.record_path("b")) << "{\"key\": \"";  // cut short
  EXPECT_FALSE(cache.find("b", {{"k", 1}}).has_value());
  bool ran = false;
  EXPECT_EQ(cache.get_or_run("b", {{"k", 1}}, [] { return nlohmann::json{{"value", 8}}; }, &ran)["value"], 8);
  EXPECT_TRUE(ran);
}

// fuzz/json_fuzz.cpp: a record that is valid JSON but not an object, or whose key
// is not a string, made find() throw nlohmann's type_error out of the study.
TEST(StepCache, ARecordOfTheWrongShapeIsRecomputed) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  cache.store("c", {{"k", 1}}, {{"value", 7}}, 0.5);
  for (const char* text : {"\"a string\"", "[1, 2]", "{\"key\": 5, \"result\": 1}", "null"}) {
    std::ofstream(cache.record_path("c")) << text;
    EXPECT_FALSE(cache.find("c", {{"k", 1}}).has_value()) << text;
  }
}

TEST(StudyConfig, ProfilesValidateAndBadValuesNameTheFlag) {
  for (const char* p : {"smoke", "default", "large"}) {
    auto c = study_profile("embedded", p);
    c.out = "x";
    EXPECT_NO_THROW(c.validate()) << p;
  }
  EXPECT_THROW(study_profile("embedded", "huge"), Error);
  EXPECT_THROW(study_profile("music", "default"), Error);
  auto c = study_profile("music", "full");
  c.out = "x";
  try {
    c.validate();
    FAIL() << "a paper dataset without --data-root must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--data-root"), std::string::npos) << e.what();
  }
  auto d = study_profile("embedded", "smoke");
  d.out = "x";
  d.exfmem.mix = 1.5;
  EXPECT_THROW(d.validate(), Error);
}

}  // namespace avr
