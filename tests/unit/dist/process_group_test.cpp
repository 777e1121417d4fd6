// Two ranks over loopback (c10d TCPStore + Gloo), one thread each in this
// process: all-reduce, broadcast, all-gather of unequal sizes, barrier, the
// bucketed gradient average, and a rendezvous that times out with a clear error.
#include "avr/dist/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>

#include "avr/dist/gradient_reducer.h"
#include "avr/dist/local_launch.h"
#include "test_support.h"

namespace avr::dist {

using test::on_ranks;

TEST(ProcessGroup, OneProcessIsFreeAndLeavesTensorsAlone) {
  ProcessGroup g;
  EXPECT_FALSE(g.distributed());
  EXPECT_TRUE(g.is_root());
  auto t = torch::tensor({1.0f, 2.0f});
  g.all_reduce_sum(t);
  g.broadcast(t);
  g.barrier();
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.0f, 2.0f})));
  EXPECT_EQ(g.all_gather_bytes("abc"), std::vector<std::string>{"abc"});
  EXPECT_EQ(g.stats().all_reduce_calls, 0);
}

TEST(ProcessGroup, TwoRanksOverLoopbackReduceBroadcastAndGather) {
  on_ranks(2, [](ProcessGroup& g) {
    ASSERT_TRUE(g.distributed());
    const float r = static_cast<float>(g.rank());
    auto a = torch::full({5}, r + 1.0f), b = torch::arange(3, torch::kFloat64) * (r + 1);
    std::vector<torch::Tensor> both{a, b};
    g.all_reduce_sum(both);
    EXPECT_TRUE(torch::equal(a, torch::full({5}, 3.0f)));
    EXPECT_TRUE(torch::allclose(b, torch::arange(3, torch::kFloat64) * 3));
    EXPECT_EQ(g.stats().all_reduce_bytes, 5 * 4 + 3 * 8);
    auto c = torch::full({2, 2}, r * 10);
    g.broadcast(c, 1);
    EXPECT_TRUE(torch::equal(c, torch::full({2, 2}, 10.0f)));
    // Unequal sizes, one empty.
    const auto all = g.all_gather_bytes(g.rank() == 0 ? std::string() : std::string("rank one\0x", 10));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0], "");
    EXPECT_EQ(all[1], std::string("rank one\0x", 10));
    g.barrier();
  });
}

TEST(ProcessGroup, GradientReducerAveragesEveryGradientInBuckets) {
  on_ranks(2, [](ProcessGroup& g) {
    const double r = g.rank();
    std::vector<torch::Tensor> params;
    for (int64_t n : {3, 700, 5, 1000}) {
      auto p = torch::zeros({n}, torch::requires_grad());
      p.mutable_grad() = torch::arange(n, torch::kFloat32) * (1 + r);  // rank 0: i, rank 1: 2i
      params.push_back(p);
    }
    params.push_back(torch::zeros({4}, torch::requires_grad()));  // no gradient this step
    GradientReducer reducer(params, 2048);  // 4 KB of floats: several buckets
    reducer.average(g);
    for (size_t i = 0; i + 1 < params.size(); ++i)
      EXPECT_TRUE(torch::allclose(params[i].grad(), torch::arange(params[i].numel(), torch::kFloat32) * 1.5))
          << i;
    EXPECT_FALSE(params.back().grad().defined());
    EXPECT_EQ(reducer.last_bytes(), (3 + 700 + 5 + 1000) * 4);
    EXPECT_GE(reducer.last_buckets(), 3);
  });
}

// arm/finish around backward: buckets go out while backward runs, and the means
// are average()'s, bit for bit (two ranks: each element is a + b either way).
TEST(ProcessGroup, GradientReducerOverlapsTheBackwardPassWithTheSameMeans) {
  on_ranks(2, [](ProcessGroup& g) {
    // A three-layer net, the same weights on both ranks, rank-dependent inputs; one
    // parameter the loss does not use.
    auto make_params = [] {
      std::vector<torch::Tensor> p;
      for (auto shape : std::vector<std::vector<int64_t>>{{64, 16}, {64}, {32, 64}, {32}, {4, 32}, {4}, {7}})
        p.push_back((torch::arange(c10::multiply_integers(shape), torch::kFloat32).reshape(shape).sin() * 0.3)
                        .requires_grad_(true));
      return p;
    };
    const auto x = torch::linspace(-1, 1, 8 * 16).reshape({8, 16}) * (1 + g.rank());
    auto loss_of = [&](const std::vector<torch::Tensor>& p) {
      auto h = torch::relu(torch::addmm(p[1], x, p[0].t()));
      h = torch::relu(torch::addmm(p[3], h, p[2].t()));
      return torch::addmm(p[5], h, p[4].t()).pow(2).sum();
    };
    auto overlapped = make_params(), after = make_params();
    for (auto& t : overlapped) t.mutable_grad() = torch::zeros_like(t);
    GradientReducer a(overlapped, 4096), b(after, 4096);  // ~1 K floats a bucket: several
    a.arm(g);
    loss_of(overlapped).backward();
    a.finish();
    loss_of(after).backward();
    b.average(g);
    for (size_t i = 0; i + 1 < after.size(); ++i) EXPECT_TRUE(torch::equal(overlapped[i].grad(), after[i].grad())) << i;
    EXPECT_TRUE(torch::equal(overlapped.back().grad(), torch::zeros({7})));  // zeros stay zeros
    EXPECT_GE(a.last_buckets(), 3);
    // Every bucket but the one waiting for the unused parameter went out during backward.
    EXPECT_EQ(a.last_sent_in_backward(), a.last_buckets() - 1);
    EXPECT_EQ(a.last_bytes(), (64 * 16 + 64 + 32 * 64 + 32 + 4 * 32 + 4 + 7) * 4);

    // A backward pass outside arm/finish (an attack's) is left alone; a second step is averaged again.
    for (auto& t : overlapped) t.mutable_grad().zero_();
    loss_of(overlapped).backward();
    auto local = overlapped[0].grad().clone();
    for (auto& t : overlapped) t.mutable_grad().zero_();
    a.arm(g);
    loss_of(overlapped).backward();
    a.finish();
    EXPECT_TRUE(torch::equal(overlapped[0].grad(), after[0].grad()));
    EXPECT_FALSE(torch::equal(local, after[0].grad()));  // the ranks' inputs differ
  });
}

TEST(ProcessGroup, ARendezvousWithoutTheOtherRanksTimesOutWithAClearError) {
  ::setenv("AVR_DIST_TIMEOUT", "1", 1);
  DistEnv e;
  e.rank = 0;
  e.world_size = 2;
  e.master_addr = "127.0.0.1";
  e.master_port = free_local_port();
  const std::string err = test::error_of([&] { ProcessGroup g(e); });
  ::unsetenv("AVR_DIST_TIMEOUT");
  EXPECT_NE(err.find("rendezvous at MASTER_ADDR:MASTER_PORT=127.0.0.1:"), std::string::npos) << err;
  EXPECT_NE(err.find("AVR_DIST_TIMEOUT"), std::string::npos) << err;
}

TEST(LocalLaunch, RunsEveryRankWithTheTorchrunEnvironment) {
  test::TempDir dir;
  const std::string script = "echo \"$RANK $WORLD_SIZE $LOCAL_RANK $MASTER_ADDR $AVR_LOCAL_LAUNCH\" > " +
                             (dir / "rank").string() + "$RANK";
  run_local_ranks(3, "/bin/sh", {"sh", "-c", script});
  for (int r = 0; r < 3; ++r) {
    std::ifstream in(dir / ("rank" + std::to_string(r)));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, std::to_string(r) + " 3 " + std::to_string(r) + " 127.0.0.1 1");
  }
}

TEST(LocalLaunch, OneFailingRankStopsTheOthers) {
  const auto start = std::chrono::steady_clock::now();
  const std::string err = test::error_of(
      [] { run_local_ranks(2, "/bin/sh", {"sh", "-c", "if [ \"$RANK\" = 1 ]; then exit 3; fi; sleep 60"}); });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(err.find("rank 1 of 2 failed (exit code 3"), std::string::npos) << err;
  EXPECT_LT(s, 30.0);  // rank 0 was stopped, not waited for
}

}  // namespace avr::dist
