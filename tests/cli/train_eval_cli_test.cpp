// `avr train` and `avr eval` end to end on a tiny generated dataset: a run folder with
// its records, a run stopped after its first epoch and continued with --resume, eval
// of the best checkpoint agreeing with the run's own test accuracy, and one-line
// errors that name what is wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "test_support.h"

namespace avr {
namespace {

// The output's lines that are avr errors ("avr <command>: error: ...").
int error_lines(const std::string& output) {
  int n = 0;
  for (size_t at = output.find(": error: "); at != std::string::npos; at = output.find(": error: ", at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Cli, TrainWritesItsRunResumesItAndEvalGivesItsTestAccuracy) {
  test::TempDir dir;
  test::generate_small_dataset(dir / "data");  // 4 train, 2 val, 4 test clips
  const auto run = dir / "run";
  const std::string train = "train --threads 2 --workers 1 --data-root " + (dir / "data").string() +
                            " --epochs 2 --batch-size 2 --seed 3 --out " + run.string();

  // Stopped after its first epoch, as if interrupted.
  auto r = test::run_avr(train + " --stop-after-epochs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"config.json", "best.pt", "last.pt", "state-1.pt"})
    EXPECT_TRUE(std::filesystem::exists(run / f)) << f;
  // result.json is the finished run's record: an interrupted run has none.
  EXPECT_FALSE(std::filesystem::exists(run / "result.json"));
  const auto config = nlohmann::json::parse(read_text_file(run / "config.json"));
  EXPECT_EQ(config.at("classes").size(), 4u);
  EXPECT_EQ(config.at("train").at("epochs"), 2);
  EXPECT_EQ(config.at("train").at("seed"), 3);
  EXPECT_EQ(config.at("train").at("model").at("fusion"), "concat");

  // The same folder again without --resume is refused; with it, the run continues at epoch 2.
  r = test::run_avr(train);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
  r = test::run_avr(train + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("after epoch 1"), std::string::npos) << r.output;
  const auto result = nlohmann::json::parse(read_text_file(run / "result.json"));
  ASSERT_EQ(result.at("history").size(), 2u);
  EXPECT_EQ(result.at("history")[0].at("epoch"), 1);
  EXPECT_EQ(result.at("history")[1].at("epoch"), 2);
  const int best_epoch = result.at("best_epoch").get<int>();
  EXPECT_TRUE(best_epoch == 1 || best_epoch == 2) << best_epoch;
  for (const char* k : {"best_val_accuracy", "train_seconds", "model", "runtime"})
    EXPECT_TRUE(result.contains(k)) << k;
  const auto& test_result = result.at("test");
  EXPECT_EQ(test_result.at("clips"), 4);

  // avr eval on the best checkpoint: the accuracy the run reported for it, printed and written.
  r = test::run_avr("eval --threads 2 --workers 1 --data-root " + (dir / "data").string() + " --checkpoint " +
                    (run / "best.pt").string() + " --out " + (dir / "eval.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto eval = nlohmann::json::parse(read_text_file(dir / "eval.json"));
  EXPECT_EQ(eval.at("split"), "test");
  EXPECT_EQ(eval.at("result").at("clips"), test_result.at("clips"));
  EXPECT_EQ(eval.at("result").at("correct"), test_result.at("correct"));
  EXPECT_DOUBLE_EQ(eval.at("result").at("accuracy").get<double>(), test_result.at("accuracy").get<double>());
  const std::string line = "(" + std::to_string(test_result.at("correct").get<int>()) + "/4) on embedded test";
  EXPECT_NE(r.output.find(line), std::string::npos) << r.output;
}

TEST(Cli, TrainAndEvalNameWhatIsWrongInOneLine) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data");
  test::save_untrained_concat(dir / "av.pt", profile);
  const std::string data = " --threads 2 --data-root " + (dir / "data").string();
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"train --threads 2 --data-root " + (dir / "nodata").string() + " --out " + (dir / "a").string(),
       (dir / "nodata").string()},
      {"train" + data + " --fusion nosuch --out " + (dir / "b").string(), "fusion 'nosuch' is unknown"},
      {"eval" + data + " --checkpoint " + (dir / "nosuch.pt").string(), "nosuch.pt"},
      {"eval" + data + " --checkpoint " + (dir / "av.pt").string() + " --split dev", "unknown split 'dev'"},
  };
  for (const auto& c : cases) {
    const auto r = test::run_avr(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_EQ(error_lines(r.output), 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
  }
  // A value CLI11 cannot read is refused before anything runs.
  auto r = test::run_avr("train" + data + " --epochs abc --out " + (dir / "d").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--epochs"), std::string::npos) << r.output;
  // A manifest.json that is not JSON is named (train reads its profile for the default
  // preset; before, the parser's message came without the file).
  write_file_atomic(dir / "data/manifest.json", "{\"profile\": ");
  r = test::run_avr("train" + data + " --out " + (dir / "e").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(error_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find((dir / "data/manifest.json").string() + "\" is malformed"), std::string::npos)
      << r.output;
}

}  // namespace avr
