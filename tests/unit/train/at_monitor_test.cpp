// The catastrophic-overfitting monitor: the rule on purpose-built accuracy
// sequences, then the trainer's rollback driven by a fake sequence on a tiny
// run (the rolled-back weights are those of the last good epoch, the records say
// so, and a resume trains no further) and a run without a collapse.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "avr/train/adversarial_training.h"
#include "avr/train/trainer.h"

namespace avr {

TEST(AtMonitor, CollapsesOnlyOnADropOfMoreThanTheThreshold) {
  CollapseMonitor m(0.2);
  EXPECT_THROW(m.observe(1, 0.5), Error);  // no starting accuracy yet
  m.start(0.30);
  EXPECT_FALSE(m.observe(1, 0.45));
  EXPECT_FALSE(m.observe(2, 0.50));
  EXPECT_FALSE(m.observe(3, 0.35));  // 0.15 below: noise, not a collapse
  EXPECT_EQ(m.last_good_epoch(), 3);
  EXPECT_TRUE(m.observe(4, 0.10));   // 0.25 below the last good epoch's 0.35
  EXPECT_EQ(m.last_good_epoch(), 3);
  EXPECT_DOUBLE_EQ(m.last_good_accuracy(), 0.35);
  EXPECT_FALSE(m.rule().empty());
}

TEST(AtMonitor, AGradualDeclineIsNotACollapse) {
  // Robust overfitting (Rice et al.) is slow; the rule looks for the sudden fall.
  CollapseMonitor m(0.2);
  m.start(0.6);
  for (int e = 1; e <= 5; ++e) EXPECT_FALSE(m.observe(e, 0.6 - 0.1 * e)) << e;
  EXPECT_EQ(m.last_good_epoch(), 5);
  // A collapse in the first epoch goes back to the starting model, epoch 0.
  CollapseMonitor first(0.2);
  first.start(0.4);
  EXPECT_TRUE(first.observe(1, 0.0));
  EXPECT_EQ(first.last_good_epoch(), 0);
}

namespace {

TrainConfig tiny_at_config() {
  TrainConfig c = train_preset("embedded-tiny");
  c.model.kind = ModelKind::AudioVisual;
  c.model.fusion = FusionKind::Concat;
  c.model.image_size = 32;
  c.model.audio_length = 4096;
  c.loss.kind = LossKind::AtFgsmRs;
  c.adversarial.monitor_clips = 2;
  c.adversarial.monitor_steps = 2;
  c.batch_size = 2;
  c.epochs = 3;
  c.workers = 1;
  return c;
}

nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(read_text_file(p)); }

}  // namespace

TEST(AtMonitor, TheTrainerRollsBackToTheLastGoodEpochAndStops) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 3);  // 6 training clips: 4 trained, 2 monitored
  const auto c = tiny_at_config();
  TrainOptions o;
  o.quiet = true;
  o.fake_monitor_accuracy = [](int epoch, double) { return epoch == 2 ? 0.1 : 0.5 + 0.1 * epoch; };
  const auto r = train_model(c, spec, dir / "collapse", o);
  ASSERT_EQ(r.history.size(), 2u);  // epoch 3 never ran
  EXPECT_FALSE(r.history[0]["monitor"]["collapsed"].get<bool>());
  EXPECT_TRUE(r.history[1]["monitor"]["collapsed"].get<bool>());
  EXPECT_EQ(r.history[1]["monitor"]["rolled_back_to_epoch"].get<int>(), 1);
  EXPECT_EQ(r.best_epoch, 1);
  const auto result = read_json(dir / "collapse/result.json");
  EXPECT_TRUE(result["stopped_early"].get<bool>());
  EXPECT_EQ(result["adversarial"]["rolled_back_to_epoch"].get<int>(), 1);
  EXPECT_EQ(result["adversarial"]["collapsed_at_epoch"].get<int>(), 2);
  EXPECT_DOUBLE_EQ(result["adversarial"]["start_pgd_accuracy"].get<double>(), 0.5);

  // The same run stopped after epoch 1 holds the weights the rollback restored.
  TrainOptions one;
  one.quiet = true;
  one.stop_after_epochs = 1;
  train_model(c, spec, dir / "one", one);
  const auto a = load_checkpoint(dir / "collapse/last.pt").model;
  const auto b = load_checkpoint(dir / "one/last.pt").model;
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  auto bb = b->named_buffers();
  for (const auto& p : a->named_buffers()) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();

  // A resume after the collapse trains no further.
  TrainOptions resume;
  resume.quiet = true;
  resume.resume = true;
  const auto again = train_model(c, spec, dir / "collapse", resume);
  EXPECT_EQ(again.history.size(), 2u);
  EXPECT_EQ(again.best_epoch, 1);
  EXPECT_EQ(read_json(dir / "collapse/result.json")["adversarial"], result["adversarial"]);
}

TEST(AtMonitor, WithoutACollapseEveryEpochRuns) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 3);
  auto c = tiny_at_config();
  c.epochs = 2;
  TrainOptions o;
  o.quiet = true;
  o.fake_monitor_accuracy = [](int epoch, double) { return 0.5 - 0.15 * epoch; };  // slow decline
  const auto r = train_model(c, spec, dir / "run", o);
  ASSERT_EQ(r.history.size(), 2u);
  for (const auto& h : r.history) EXPECT_FALSE(h["monitor"]["collapsed"].get<bool>());
  const auto result = read_json(dir / "run/result.json");
  EXPECT_FALSE(result["stopped_early"].get<bool>());
  EXPECT_FALSE(result["adversarial"].contains("rolled_back_to_epoch"));
  EXPECT_EQ(result["adversarial"]["epochs"].size(), 2u);
}

TEST(AtMonitor, TooFewClipsForTheHeldOutBatchIsAClearError) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 2);  // 4 training clips
  auto c = tiny_at_config();
  c.adversarial.monitor_clips = 3;
  TrainOptions o;
  o.quiet = true;
  const auto msg = test::error_of([&] { train_model(c, spec, dir / "run", o); });
  EXPECT_NE(msg.find("monitor"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--at-monitor-clips"), std::string::npos) << msg;
}

}  // namespace avr
