// What does averaging one training step's gradients over c10d cost? For the
// models avr trains (the default profile's sizes; parameter count does not
// depend on the input size), 2 ranks — threads of this process, Gloo over
// loopback, as `avr train --nproc 2` uses it between processes — average every
// gradient with dist::GradientReducer (25 MiB buckets) again and again. Prints
// the bytes all-reduced per step, seconds per step and the bus bandwidth
// (ring all-reduce: each rank sends and receives 2(W-1)/W of the bytes), and
// from those bytes what a ring all-reduce would take over 1, 10 and 100 Gbit/s
// links between N machines — a projection by formula, not a measurement.
// Then whole training steps of the AV Concat model on 2 ranks (8 clips each, 48 px /
// 8192 samples, forward + backward + averaging + SGD step), the all-reduce after the
// backward pass (average) against overlapped with it (arm/finish), in the same run:
// seconds per step and the seconds each step waited for the all-reduce.
//   usage: bench_allreduce [min_seconds=3]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "avr/core/timer.h"
#include "avr/dist/gradient_reducer.h"
#include "avr/dist/local_launch.h"
#include "avr/models/av_model.h"

namespace {

// Rank r of 2 on this machine, rank 0 serving the store at `port`.
avr::dist::DistEnv loopback_rank(int r, int port) {
  avr::dist::DistEnv e;
  e.rank = e.local_rank = r;
  e.world_size = e.local_world_size = 2;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  return e;
}

// Runs `step(group, reducer)` on 2 ranks (threads) until min_seconds have passed on rank 0;
// returns rank 0's seconds per step and all-reduce wait per step.
struct StepFigures {
  double seconds = 0, waited = 0;
};
StepFigures on_two_ranks(const avr::ModelConfig& mc, double min_seconds, bool overlapped) {
  const int port = avr::dist::free_local_port();
  StepFigures out;
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.emplace_back([&, r] {
      avr::AvModel model(mc);
      model->train();
      torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.001).momentum(0.9));
      avr::dist::ProcessGroup g(loopback_rank(r, port));
      avr::dist::GradientReducer reducer(model->parameters());
      torch::Generator gen = at::detail::createCPUGenerator(1 + r);
      const auto audio = torch::rand({8, mc.audio_length}, gen) * 2 - 1;
      const auto frames = torch::rand({8, 3, mc.image_size, mc.image_size}, gen);
      const auto labels = torch::randint(mc.num_classes, {8}, gen);
      auto step = [&] {
        sgd.zero_grad();
        const auto loss = torch::cross_entropy_loss(model->forward(audio, frames), labels);
        if (overlapped) {
          reducer.arm(g);
          loss.backward();
          reducer.finish();
        } else {
          loss.backward();
          reducer.average(g);
        }
        sgd.step();
      };
      step();  // warm-up: connections, buffers
      g.barrier();
      const auto before = g.stats();
      avr::Timer t;
      int reps = 0;
      for (bool more = true; more; ++reps) {
        step();
        auto flag = torch::tensor({r == 0 && t.seconds() >= min_seconds && reps >= 3 ? 0 : 1}, torch::kInt64);
        g.broadcast(flag);
        more = flag.item<int64_t>() != 0;
      }
      if (r == 0) {
        out.seconds = t.seconds() / reps;
        out.waited = (g.stats().all_reduce_seconds - before.all_reduce_seconds) / reps;
      }
    });
  for (auto& t : ranks) t.join();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const double min_seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  torch::set_num_threads(1);
  std::printf("%-14s %12s %8s %10s %12s | ring all-reduce by formula, s/step at 1/10/100 Gbit/s\n", "model",
              "bytes/step", "buckets", "s/step", "bus GB/s");
  for (const char* kind : {"audio", "visual", "av"}) {
    avr::ModelConfig mc;
    mc.kind = avr::parse_model_kind(kind);
    mc.fusion = std::string(kind) == "av" ? avr::FusionKind::Concat : avr::FusionKind::None;
    mc.num_classes = 10;
    mc.image_size = 48;
    mc.audio_length = 8192;
    const int port = avr::dist::free_local_port();
    double seconds = 0;
    int64_t bytes = 0, buckets = 0;
    std::vector<std::thread> ranks;
    for (int r = 0; r < 2; ++r)
      ranks.emplace_back([&, r] {
        avr::AvModel model(mc);
        for (auto& p : model->parameters()) p.mutable_grad() = torch::randn_like(p);
        avr::dist::ProcessGroup g(loopback_rank(r, port));
        avr::dist::GradientReducer reducer(model->parameters());
        reducer.average(g);  // warm-up: connections, buffers
        g.barrier();
        avr::Timer t;
        int reps = 0;
        double in_reduce = 0;
        // Rank 0 decides when to stop, so both ranks run the same number of steps.
        for (bool more = true; more; ++reps) {
          avr::Timer step;
          reducer.average(g);
          in_reduce += step.seconds();
          auto flag = torch::tensor({r == 0 && t.seconds() >= min_seconds && reps >= 3 ? 0 : 1}, torch::kInt64);
          g.broadcast(flag);
          more = flag.item<int64_t>() != 0;
        }
        if (r == 0) {
          seconds = in_reduce / reps;
          bytes = reducer.last_bytes();
          buckets = reducer.last_buckets();
        }
      });
    for (auto& t : ranks) t.join();
    std::printf("%-14s %12lld %8lld %10.4f %12.2f |", kind, static_cast<long long>(bytes),
                static_cast<long long>(buckets), seconds, bytes / seconds / 1e9);
    for (int n : {2, 8, 32})
      for (double gbit : {1.0, 10.0, 100.0})
        std::printf(" N=%d@%g: %.3f", n, gbit, 2.0 * (n - 1) / n * bytes / (gbit * 1e9 / 8));
    std::printf("\n");
  }

  avr::ModelConfig mc;
  mc.kind = avr::ModelKind::AudioVisual;
  mc.fusion = avr::FusionKind::Concat;
  mc.num_classes = 10;
  mc.image_size = 48;
  mc.audio_length = 8192;
  std::printf("\nAV Concat training step, 2 ranks x 8 clips, 1 thread each: s/step, of it waiting for the all-reduce\n");
  for (const bool overlapped : {false, true}) {
    const StepFigures f = on_two_ranks(mc, min_seconds, overlapped);
    std::printf("  %-36s %8.4f s/step  %8.4f s waited (%4.1f %%)\n",
                overlapped ? "overlapped with backward (arm/finish)" : "after backward (average)", f.seconds,
                f.waited, 100 * f.waited / f.seconds);
  }
  return 0;
}
