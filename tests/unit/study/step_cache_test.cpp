#include "avr/study/step_cache.h"

#include <fstream>

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "avr/core/fs.h"
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
  // The study's timings come from the records; an unreadable one is an error naming it.
  EXPECT_GE(again.seconds("a"), 0.0);
  std::ofstream(again.record_path("a")) << "{\"seconds\": ";
  EXPECT_NE(test::error_of([&] { again.seconds("a"); }).find("a.json"), std::string::npos);
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

static std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A record damaged in place, still valid JSON of the right shape (an accuracy
// 0.8125 that now reads 0.3125), or cut short: reported on stderr and
// recomputed, never used.
TEST(StepCache, ADamagedOrTruncatedRecordIsReportedAndRecomputed) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  const nlohmann::json config = {{"k", 1}};
  const auto path = cache.record_path("d");
  cache.store("d", config, {{"accuracy", 0.8125}, {"clips", 64}}, 2.0);
  const std::string good = read_all(path);
  ASSERT_NE(good.find("\"sha256\""), std::string::npos) << good;
  ASSERT_EQ(cache.find("d", config).value()["accuracy"], 0.8125);

  std::string flipped = good;
  const size_t at = flipped.find("0.8125");
  ASSERT_NE(at, std::string::npos);
  flipped[at + 2] = '3';
  std::string truncated = good.substr(0, good.size() * 2 / 3);
  for (const auto& [bytes, why] : {std::pair<std::string, std::string>{flipped, "do not match the SHA-256"},
                                   {truncated, "is damaged or truncated (not valid JSON"}}) {
    std::ofstream(path, std::ios::binary) << bytes;
    testing::internal::CaptureStderr();
    int runs = 0;
    bool ran = false;
    const auto result = cache.get_or_run("d", config, [&] { ++runs; return nlohmann::json{{"accuracy", 0.75}}; }, &ran);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(ran);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(result["accuracy"], 0.75);
    EXPECT_NE(err.find("study: recomputing step d: its record"), std::string::npos) << err;
    EXPECT_NE(err.find(path.string()), std::string::npos) << err;
    EXPECT_NE(err.find(why), std::string::npos) << err;
    // The recomputed record is whole again and is reused without a word.
    testing::internal::CaptureStderr();
    EXPECT_EQ(cache.find("d", config).value()["accuracy"], 0.75);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
}

// Reformatting (another indentation, key order) is no damage: the digest is of
// the canonical text.
TEST(StepCache, ARecordReformattedKeepsItsDigest) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  cache.store("e", {{"k", 2}}, {{"rows", {1.5, -0.0, 1e-300}}}, 0.25);
  const auto path = cache.record_path("e");
  const auto parsed = nlohmann::json::parse(read_all(path));
  std::ofstream(path) << parsed.dump(7);
  EXPECT_EQ(cache.find("e", {{"k", 2}}).value()["rows"][0], 1.5);
}

// Compatibility: a record written before digests is used, and says so.
TEST(StepCache, ARecordWithoutADigestIsUsedWithANote) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  const nlohmann::json config = {{"k", 3}};
  std::ofstream(cache.record_path("f")) << nlohmann::json{{"step", "f"}, {"key", StepCache::key(config)},
                                                          {"config", config}, {"seconds", 1.0},
                                                          {"result", {{"value", 4}}}}.dump(2);
  testing::internal::CaptureStderr();
  EXPECT_EQ(cache.find("f", config).value()["value"], 4);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("has no digest"), std::string::npos) << err;
}

// A cached step whose result names files a later step reads back (figures,
// examples): a changed or missing file recomputes the step, and says so.
TEST(StepCache, AStepWhoseFilesChangedIsRecomputed) {
  test::TempDir dir;
  StepCache cache(dir / "steps");
  const auto figure = dir / "fig.svg";
  int runs = 0;
  auto compute = [&] {
    ++runs;
    write_file_atomic(figure, "<svg>" + std::to_string(runs) + "</svg>");
    return nlohmann::json{{"files", StepCache::file_digests({figure})}};
  };
  auto check = [](const nlohmann::json& r) { return StepCache::files_problem(r["files"]); };
  bool ran = false;
  cache.get_or_run("g", {{"k", 1}}, compute, &ran, check);
  cache.get_or_run("g", {{"k", 1}}, compute, &ran, check);
  EXPECT_FALSE(ran);
  EXPECT_EQ(runs, 1);
  for (const bool remove : {false, true}) {
    if (remove)
      std::filesystem::remove(figure);
    else
      write_file_atomic(figure, "<svg>1</svG>");  // damaged
    testing::internal::CaptureStderr();
    cache.get_or_run("g", {{"k", 1}}, compute, &ran, check);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(ran);
    EXPECT_NE(err.find("study: recomputing step g: its file " + figure.string() +
                       (remove ? " is missing" : " does not match the SHA-256")),
              std::string::npos) << err;
  }
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(read_all(figure), "<svg>3</svg>");
}

TEST(StudyConfig, ProfilesValidateAndBadValuesNameTheFlag) {
  for (const auto& p : study_profile_names()) {
    if (p == "full") continue;  // the paper datasets' profile
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
