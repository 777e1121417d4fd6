// The ranks of a multi-process run and their collectives, on LibTorch's own
// distributed engine c10d: ranks meet through a c10d TCPStore served by rank 0
// at MASTER_ADDR:MASTER_PORT, then talk through ProcessGroupGloo (TCP; CPU
// tensors). One process (world size 1) needs neither: every collective is then
// a no-op that costs nothing, so single-process code paths call them freely.
//
// Collectives block until every rank has joined them: every rank must call the
// same collectives in the same order. A rank that dies makes the others fail
// (Gloo reports the closed connection) or, at worst, wait out `timeout`.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "avr/dist/environment.h"

namespace avr::dist {

// What the collectives of a group cost so far, for the record and the
// scale-out figures. Seconds are wall-clock time inside the collectives,
// waiting for slower ranks included.
struct CommStats {
  int64_t all_reduce_calls = 0;
  int64_t all_reduce_bytes = 0;   // payload, per rank
  double all_reduce_seconds = 0;
  int64_t other_calls = 0;        // broadcast, all-gather, barrier
  double other_seconds = 0;
};

class ProcessGroup {
 public:
  // One process: rank 0 of 1, no c10d.
  ProcessGroup();
  // Joins the ranks `env` describes (world size 1: as the default). Rendezvous
  // and each collective wait at most `timeout`; a rendezvous that times out is
  // an avr::Error naming MASTER_ADDR/MASTER_PORT and what to check.
  // AVR_DIST_TIMEOUT (seconds) overrides the default of 300 s for the rendezvous
  // and 1800 s for collectives. GLOO_SOCKET_IFNAME picks the network interface
  // as in PyTorch; without it Gloo binds to 127.0.0.1 when MASTER_ADDR is a
  // loopback address, else to this host's name.
  explicit ProcessGroup(const DistEnv& env);
  // The group of this process's torchrun environment (dist_env_from_environment).
  static ProcessGroup from_environment();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  bool is_root() const { return env_.rank == 0; }
  bool distributed() const { return env_.world_size > 1; }
  const DistEnv& env() const { return env_; }
  // "rank 1 of 2" (or "one process").
  std::string describe() const;

  // Element-wise sum over the ranks, in place, every rank receiving the same
  // result. Dense CPU tensors (contiguous). The vector form puts every tensor in
  // flight before waiting for the first.
  void all_reduce_sum(torch::Tensor& tensor);
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  // The same sum started in the background: returns at once, and the result is
  // in `tensor` after wait_pending(). Every rank must start the same sums in the
  // same order. all_reduce_seconds counts only the time spent in wait_pending()
  // (communication the caller did not hide behind its own work).
  void all_reduce_sum_start(torch::Tensor& tensor);
  // Waits for every sum started with all_reduce_sum_start.
  void wait_pending();
  // Rank `root`'s values, in place, on every rank (same shape and dtype everywhere).
  void broadcast(torch::Tensor& tensor, int root = 0);
  void broadcast(std::vector<torch::Tensor>& tensors, int root = 0);
  // Every rank's bytes, in rank order, on every rank (sizes may differ).
  std::vector<std::string> all_gather_bytes(const std::string& mine);
  // Returns once every rank has called it.
  void barrier();

  const CommStats& stats() const { return stats_; }

 private:
  struct Impl;
  DistEnv env_;
  std::shared_ptr<Impl> impl_;  // null for one process
  CommStats stats_;
};

}  // namespace avr::dist
