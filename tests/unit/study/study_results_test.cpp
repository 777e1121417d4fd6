// The study's typed results: each writes the JSON results.json holds and reads it back
// strictly (a missing or unknown key is an error naming it).
#include <gtest/gtest.h>

#include "avr/study/study_results.h"
#include "test_support.h"

namespace avr {
namespace {

// ✓AV, ✗A, ✗V, ✗AV in percent.
RobustnessScores scores(double clean, double a, double v, double av) { return {clean, a, v, av}; }

TEST(StudyResults, DefenseTableRoundTripsAndWritesTheKeysResultsJsonHas) {
  DefenseTableScores table;
  table["None"] = {scores(80, 40, 30, 10), scores(80, 40, 30, 10).avg(), 0};
  table["MinSim"] = {scores(78, 50, 35, 20), scores(78, 50, 35, 20).avg(), 13.0};
  const nlohmann::json j = table;
  EXPECT_EQ(j.at("MinSim").at("ri").get<double>(), 13.0);
  EXPECT_EQ(j.at("None").at("scores").at("attack_both").get<double>(), 10.0);
  EXPECT_EQ(j.at("None").at("scores").at("avg").get<double>(), scores(80, 40, 30, 10).avg());
  const auto back = j.get<DefenseTableScores>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.at("MinSim").scores.attack_audio, 50.0);
}

TEST(StudyResults, ReadingIsStrict) {
  nlohmann::json row = DefenseRowScores{scores(80, 40, 30, 10), 26.67, 0};
  auto misspelled = row;
  misspelled["RI"] = 1.0;
  EXPECT_NE(test::error_of([&] { misspelled.get<DefenseRowScores>(); }).find("unknown key 'RI'"), std::string::npos);
  auto missing = row;
  missing.erase("avg");
  EXPECT_NE(test::error_of([&] { missing.get<DefenseRowScores>(); }).find("key 'avg' is missing"), std::string::npos);

  nlohmann::json t1 = Table1Scores{{{"fgsm", scores(90, 20, 10, 5)}}, 70, 60};
  EXPECT_EQ(t1.get<Table1Scores>().unimodal_visual, 60.0);
  t1["unimodal_audi"] = 70;
  EXPECT_NE(test::error_of([&] { t1.get<Table1Scores>(); }).find("table1: unknown key 'unimodal_audi'"), std::string::npos);
}

TEST(StudyResults, SweepKeepsPanelsThatNeverCrossedAsNull) {
  SweepResult sweep;
  sweep.clips = 64;
  sweep.eps_list = {0, 0.001, 0.002};
  SweepAttackResult& pgd = sweep.attacks["pgd"];
  pgd.points = {{0.0, scores(90, 90, 90, 90), scores(70, 70, 70, 70), scores(60, 60, 60, 60)},
                {0.001, scores(90, 50, 60, 30), scores(70, 40, 70, 40), scores(60, 60, 30, 30)}};
  pgd.eps_star = {{"a", 0.001}, {"b", std::nullopt}, {"c", 0.001}};
  pgd.figures = {{"a", "fig3_a_pgd.svg"}};
  pgd.unimodal_clean_audio = 70;
  pgd.unimodal_clean_visual = 60;
  const nlohmann::json j = sweep;
  EXPECT_TRUE(j.at("attacks").at("pgd").at("eps_star").at("b").is_null());
  EXPECT_EQ(j.at("attacks").at("pgd").at("points").at(1).at("concat").at("attack_both").get<double>(), 30.0);
  const auto back = j.get<SweepResult>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_FALSE(back.attacks.at("pgd").eps_star.at("b").has_value());
  EXPECT_EQ(*back.attacks.at("pgd").eps_star.at("a"), 0.001);

  auto bad = j;
  bad["attacks"]["pgd"]["eps_star"]["b"] = "never";
  EXPECT_NE(test::error_of([&] { bad.get<SweepResult>(); }).find("eps_star 'b' must be a number or null"), std::string::npos);
}

TEST(StudyResults, LocalizationSummaryIsOneFlatObjectAndTheFixedGuessIsOptional) {
  LocalizationSummary s;
  s.conditions["clean"] = {0.9, 0.6, 0.4, 0.5};
  s.conditions["✗AV"] = {0.2, 0.3, 0.2, 0.3};
  s.center_prior_pointing = 0.5;
  s.center_prior_ciou = 0.25;
  s.center_prior_auc = 0.3;
  s.best_fixed_guess = LocalizationSummary::FixedGuess{0.55, {14.5, 17.5}};
  const nlohmann::json j = s;
  EXPECT_EQ(j.at("✗AV").at("pointing").get<double>(), 0.3);
  EXPECT_EQ(j.at("center prior").at("pointing").get<double>(), 0.5);
  EXPECT_EQ(j.at("best fixed guess").at("point").at(1).get<double>(), 17.5);
  EXPECT_EQ(nlohmann::json(j.get<LocalizationSummary>()), j);

  auto older = j;  // results written before avr computed the best fixed guess
  older.erase("best fixed guess");
  const auto back = older.get<LocalizationSummary>();
  EXPECT_FALSE(back.best_fixed_guess.has_value());
  EXPECT_EQ(back.conditions.size(), 2u);

  auto no_prior = j;
  no_prior.erase("center prior");
  EXPECT_NE(test::error_of([&] { no_prior.get<LocalizationSummary>(); }).find("'center prior' is missing"),
            std::string::npos);
  auto extra = j;
  extra["clean"]["hits"] = 3;
  EXPECT_NE(test::error_of([&] { extra.get<LocalizationSummary>(); }).find("condition 'clean': unknown key 'hits'"),
            std::string::npos);
}

}  // namespace
}  // namespace avr
