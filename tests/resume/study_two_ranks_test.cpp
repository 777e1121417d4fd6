// The study on two ranks (avr issue 19): `avr study --nproc 2` trains data
// parallel and shards every attack table's clips over the ranks; its tables must
// be what one process computes on the same models, bit for bit.
//
// The smoke study runs on two ranks from scratch (12 models trained data
// parallel, every step); then all but its training records are deleted and one
// process runs the study again in the same folder: it reuses the two ranks'
// models (a study resumes on another number of ranks) and recomputes every other
// step. The two results.json must agree in every number. (Models trained on two
// ranks differ from one process's — each rank's BatchNorm normalizes its half of
// a batch, README "Scale-out" — so the comparison holds the models fixed.) Both
// runs use one thread per process, so each batch is computed alike in both.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results_compare.h"
#include "test_support.h"

namespace avr {
namespace {

namespace fs = std::filesystem;

TEST(StudyTwoRanks, ShardedStudyGivesTheOneProcessTablesOnTheSameModels) {
  const fs::path out = AVR_STUDY_TWO_RANKS_DIR;
  fs::remove_all(out);
  const std::string args = "study --profile smoke --threads 1 --quiet --out " + out.string();
  auto r = test::run_avr(args + " --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto two_ranks = test::read_json(out / "results.json");
  EXPECT_EQ(two_ranks["runtime"]["study_ranks"], 2);
  // "reused" lists a step again each time a later table reads it: only "computed" says
  // what ran. Every model trained on the two ranks.
  auto train_steps = [](const nlohmann::json& names) {
    int n = 0;
    for (const auto& s : names) n += s.get<std::string>().rfind("train-", 0) == 0;
    return n;
  };
  EXPECT_EQ(train_steps(two_ranks["steps"]["computed"]), 12);
  ASSERT_EQ(two_ranks["models"].size(), 12u);
  EXPECT_TRUE(fs::exists(out / "report.html"));

  int kept = 0;
  for (const auto& e : fs::directory_iterator(out / "steps")) {
    if (e.path().filename().string().rfind("train-", 0) == 0) {
      ++kept;
      continue;
    }
    fs::remove(e.path());
  }
  ASSERT_EQ(kept, 12);
  r = test::run_avr(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto one = test::read_json(out / "results.json");
  EXPECT_FALSE(one["runtime"].contains("study_ranks"));
  EXPECT_EQ(train_steps(one["steps"]["computed"]), 0) << one["steps"].dump();
  EXPECT_EQ(train_steps(one["steps"]["reused"]), 12) << one["steps"].dump();
  EXPECT_GE(one["steps"]["computed"].size(), 30u);

  auto numbers = [&](nlohmann::json results) {
    results.erase("runtime");  // ranks, and the machine's state
    return test::comparable(results, out);
  };
  std::vector<std::string> found;
  test::differences(numbers(one), numbers(two_ranks), "", found, "one-process", "two-rank");
  std::string listed;
  for (const auto& d : found) listed += "  " + d + "\n";
  EXPECT_TRUE(found.empty()) << "the two-rank study's results.json differs from one process's on the same "
                                "models:\n" << listed;
}

}  // namespace
}  // namespace avr
