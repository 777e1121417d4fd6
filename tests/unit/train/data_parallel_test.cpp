// Data-parallel training over c10d: 2 ranks (threads of this process, Gloo over
// loopback) on the same global batch reach the weights of one process within
// float tolerance, and a run resumes on another number of ranks. BatchNorm is
// frozen (eval mode) in the equality tests: with it training, each rank
// normalizes its own half of the batch, which changes the step (trainer.h).
#include <gtest/gtest.h>
#include <torch/torch.h>


#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/dist/process_group.h"
#include "avr/models/checkpoint.h"
#include "avr/train/trainer.h"
#include "train_fixture.h"

namespace avr {
namespace {

TrainConfig dp_config() {
  TrainConfig c = test::tiny_train_config("av", 2);
  c.lr_audio = c.lr_visual = c.lr_head = 0.05;  // large steps: differences would show
  return c;
}

// Trains on `ranks` ranks (threads), rank 0 writing `run`; returns rank 0's result.
TrainResult train_on_ranks(int ranks, const TrainConfig& c, const DatasetSpec& spec,
                           const std::filesystem::path& run, TrainOptions o) {
  o.quiet = true;
  if (ranks == 1) return train_model(c, spec, run, o);
  std::vector<TrainResult> results(ranks);
  test::on_ranks(ranks, [&](dist::ProcessGroup& g) {
    TrainOptions mine = o;
    mine.group = &g;
    results[g.rank()] = train_model(c, spec, run, mine);
  });
  return results[0];
}

void expect_same_weights(const std::filesystem::path& a, const std::filesystem::path& b, double tol) {
  auto ma = load_checkpoint(a).model, mb = load_checkpoint(b).model;
  auto pb = mb->named_parameters();
  double worst = 0;
  for (const auto& item : ma->named_parameters()) {
    const auto d = (item.value() - pb[item.key()]).abs().max().item<double>();
    worst = std::max(worst, d);
    EXPECT_LE(d, tol) << item.key();
  }
  std::cout << "largest weight difference " << worst << "\n";
}

}  // namespace

TEST(DataParallel, TwoRanksReachTheWeightsOfOneProcess) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 6);  // 12 training clips: 3 steps of 4 per epoch
  const TrainConfig c = dp_config();
  TrainOptions o;
  o.freeze_batchnorm = true;
  const auto one = train_on_ranks(1, c, spec, dir / "one", o);
  const auto two = train_on_ranks(2, c, spec, dir / "two", o);
  ASSERT_EQ(two.epochs_done, 2);
  expect_same_weights(dir / "one/last.pt", dir / "two/last.pt", 1e-5);
  // The epochs' loss over all clips matches too; it changed between the epochs
  // (the steps moved the weights: the comparison is not of two untouched models).
  for (int e = 0; e < 2; ++e)
    EXPECT_NEAR(one.history[e]["loss"].get<double>(), two.history[e]["loss"].get<double>(), 1e-5);
  EXPECT_GT(std::abs(one.history[0]["loss"].get<double>() - one.history[1]["loss"].get<double>()), 1e-3);
  EXPECT_FALSE(one.history[0].contains("data_parallel"));
  // The record of the traffic: every parameter's gradient (float32) once per step.
  auto model = load_checkpoint(dir / "two/last.pt").model;
  int64_t bytes = 0;
  for (const auto& p : model->parameters()) bytes += p.numel() * 4;
  const auto& dp = two.history[0].at("data_parallel");
  EXPECT_EQ(dp.at("ranks").get<int>(), 2);
  EXPECT_EQ(dp.at("steps").get<int>(), 3);
  EXPECT_EQ(dp.at("allreduce_bytes_per_step").get<int64_t>(), bytes);
}

// The all-reduce after backward (TrainOptions::overlap_allreduce = false) sends the same
// buckets with the same sums as the overlapped one: the same weights, bit for bit.
TEST(DataParallel, AllReduceAfterBackwardGivesTheOverlappedWeights) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 6);
  const TrainConfig c = dp_config();
  TrainOptions o;
  o.freeze_batchnorm = true;
  const auto overlapped = train_on_ranks(2, c, spec, dir / "overlapped", o);
  o.overlap_allreduce = false;
  const auto after = train_on_ranks(2, c, spec, dir / "after", o);
  expect_same_weights(dir / "overlapped/last.pt", dir / "after/last.pt", 0.0);
  EXPECT_EQ(overlapped.history[0].at("data_parallel").at("allreduce"), "overlapped with backward");
  EXPECT_EQ(after.history[0].at("data_parallel").at("allreduce"), "after backward");
  EXPECT_EQ(after.history[0].at("data_parallel").at("allreduce_bytes_per_step"),
            overlapped.history[0].at("data_parallel").at("allreduce_bytes_per_step"));
}

TEST(DataParallel, ARunResumesOnAnotherNumberOfRanks) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 6);
  const TrainConfig c = dp_config();
  TrainOptions o;
  o.freeze_batchnorm = true;
  train_on_ranks(1, c, spec, dir / "one", o);
  TrainOptions first = o;
  first.stop_after_epochs = 1;
  ASSERT_EQ(train_on_ranks(2, c, spec, dir / "split", first).epochs_done, 1);
  TrainOptions rest = o;
  rest.resume = true;
  ASSERT_EQ(train_on_ranks(1, c, spec, dir / "split", rest).epochs_done, 2);
  expect_same_weights(dir / "one/last.pt", dir / "split/last.pt", 1e-5);
}

TEST(DataParallel, ABatchThatDoesNotSplitOverTheRanksIsAClearError) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 2);
  TrainConfig c = dp_config();
  c.batch_size = 3;
  try {
    train_on_ranks(2, c, spec, dir / "run", TrainOptions{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch size 3 does not split over 2 ranks"), std::string::npos)
        << e.what();
  }
}

}  // namespace avr
