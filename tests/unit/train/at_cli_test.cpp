// `avr train --loss at-fgsm-rs` end to end through the real binary on a tiny
// generated dataset: it trains, writes a checkpoint that records the collapse
// monitor's PGD accuracy, and the run's records say which threat it trained on.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "test_support.h"

namespace avr {

TEST(AtCli, FgsmRsRunWritesACheckpointWithItsPgdAccuracy) {
  test::TempDir dir;
  test::generate_small_dataset(dir / "data");  // 4 training clips: 2 trained, 2 monitored
  const auto out = dir / "run";
  const auto r = test::run_avr("train --threads 2 --workers 1 --data-root " + (dir / "data").string() +
                               " --loss at-fgsm-rs --at-modality av --at-eps 0.01 --at-monitor-clips 2"
                               " --batch-size 2 --epochs 1 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("monitor PGD accuracy"), std::string::npos) << r.output;
  const auto best = load_checkpoint(out / "best.pt");
  ASSERT_TRUE(best.metadata.contains("monitor_pgd_accuracy")) << best.metadata.dump();
  const double acc = best.metadata["monitor_pgd_accuracy"].get<double>();
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
  EXPECT_EQ(best.metadata["train"]["loss"]["kind"], "at-fgsm-rs");
  const auto& threat = best.metadata["train"]["adversarial"]["threat"];
  EXPECT_EQ(threat["modality"], "audio_visual");
  EXPECT_DOUBLE_EQ(threat["eps_a"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(threat["eps_v"].get<double>(), 0.01);
  const auto result = nlohmann::json::parse(read_text_file(out / "result.json"));
  EXPECT_DOUBLE_EQ(result["history"][0]["monitor"]["pgd_accuracy"].get<double>(), acc);
  EXPECT_TRUE(result["adversarial"].contains("start_pgd_accuracy"));
  // Adversarial training is for audio-visual models: a clear error otherwise.
  const auto bad = test::run_avr("train --threads 2 --data-root " + (dir / "data").string() +
                                 " --model audio --loss trades --out " + (dir / "bad").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("audio-visual"), std::string::npos) << bad.output;
}

}  // namespace avr
