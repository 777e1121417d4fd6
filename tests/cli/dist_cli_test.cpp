// avr across processes (c10d, Gloo over loopback): `avr attack --nproc 2`
// gives the table and the per-clip results of one process bit for bit;
// `avr train --nproc 2` trains data-parallel and records its traffic; a rank
// that fails stops the run with its own message and the rank named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "test_support.h"

namespace avr {

TEST(CliDist, AttackOnTwoRanksGivesTheResultsOfOneProcess) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data", 11);
  test::save_untrained_concat(dir / "av.pt", profile);
  // 11 clips in batches of 4: rank 0 attacks batches 0 and 2 (the last one short), rank 1 batch 1.
  const std::string common = "attack --threads 1 --workers 1 --batch-size 4 --data-root " +
                             (dir / "data").string() + " --checkpoint " + (dir / "av.pt").string() +
                             " --attack fgsm,pgd --random-start --seed 7 --eps 0.03 --eps-both 0.02";
  auto one = test::run_avr(common + " --out " + (dir / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = test::run_avr(common + " --nproc 2 --out " + (dir / "two").string());
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto a = nlohmann::json::parse(read_text_file(dir / "one/robustness.json"));
  const auto b = nlohmann::json::parse(read_text_file(dir / "two/robustness.json"));
  ASSERT_EQ(b.at("result").at("clips").get<int>(), 11);
  EXPECT_EQ(test::without_seconds(a.at("result")), test::without_seconds(b.at("result")));
  EXPECT_EQ(a.at("worst_case"), b.at("worst_case"));
  EXPECT_EQ(read_text_file(dir / "one/robustness.md"), read_text_file(dir / "two/robustness.md"));
  // The table is printed once, by rank 0.
  size_t tables = 0;
  for (size_t p = two.output.find("| worst case |"); p != std::string::npos;
       p = two.output.find("| worst case |", p + 1))
    ++tables;
  EXPECT_EQ(tables, 1u) << two.output;
}

TEST(CliDist, LocalizeOnTwoRanksGivesTheScoresAndFiguresOfOneProcess) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data", 5);
  test::save_untrained_localizer(dir / "loc.pt", profile);
  // 5 clips in batches of 2: the third example clip is rank 1's.
  const std::string common = "localize --threads 1 --workers 1 --batch-size 2 --examples 3 --display-size 32 "
                             "--attack fgsm --eps 0.03 --data-root " + (dir / "data").string() +
                             " --checkpoint " + (dir / "loc.pt").string();
  auto one = test::run_avr(common + " --out " + (dir / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = test::run_avr(common + " --nproc 2 --out " + (dir / "two").string());
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto a = nlohmann::json::parse(read_text_file(dir / "one/localization.json"));
  const auto b = nlohmann::json::parse(read_text_file(dir / "two/localization.json"));
  ASSERT_EQ(b.at("result").at("clips").get<int>(), 5);
  EXPECT_EQ(test::without_seconds(a.at("result")), test::without_seconds(b.at("result")));
  EXPECT_EQ(read_text_file(dir / "one/localization.md"), read_text_file(dir / "two/localization.md"));
  EXPECT_EQ(read_text_file(dir / "one/localization_montage.png"), read_text_file(dir / "two/localization_montage.png"));
}

TEST(CliDist, TrainOnTwoRanksRecordsItsTraffic) {
  test::TempDir dir;
  test::generate_small_dataset(dir / "data");
  const auto r = test::run_avr("train --nproc 2 --threads 1 --workers 1 --model audio --epochs 1 --batch-size 2 "
                               "--data-root " + (dir / "data").string() + " --out " + (dir / "run").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto result = nlohmann::json::parse(read_text_file(dir / "run/result.json"));
  const auto& dp = result.at("history").at(0).at("data_parallel");
  EXPECT_EQ(dp.at("ranks").get<int>(), 2);
  EXPECT_EQ(dp.at("steps").get<int>(), 2);  // 4 clips, global batch 2
  EXPECT_GT(dp.at("allreduce_bytes_per_step").get<int64_t>(), 0);
  // An odd global batch does not split: one line per rank naming it, and the run stops.
  const auto bad = test::run_avr("train --nproc 2 --threads 1 --model audio --epochs 1 --batch-size 3 "
                                 "--data-root " + (dir / "data").string() + " --out " + (dir / "bad").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("/2]: error: batch size 3 does not split over 2 ranks"),
            std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("failed (exit code 1; its message is above); the other ranks were stopped"),
            std::string::npos) << bad.output;
}

TEST(CliDist, APartialTorchrunEnvironmentIsAOneLineError) {
  test::TempDir dir;
  const auto r = test::run_shell("RANK=0 " + std::string(AVR_CLI_PATH) + " attack --checkpoint x.pt --out " +
                                 (dir / "o").string() + " --data-root " + dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("RANK is set but WORLD_SIZE is not"), std::string::npos) << r.output;
}

}  // namespace avr
