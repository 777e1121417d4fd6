// Where this process stands in a multi-process run: the torchrun environment
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// as PyTorch's `torch.distributed.run` sets it and `avr … --nproc N` does.
// None of them set means one process (rank 0 of 1). Part of them set, or a
// value out of range, is an avr::Error naming the variable and what to set.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace avr::dist {

struct DistEnv {
  int rank = 0;              // RANK: 0 … world_size-1
  int world_size = 1;        // WORLD_SIZE: ranks in all, over every machine
  int local_rank = 0;        // LOCAL_RANK: rank on this machine (default: RANK)
  int local_world_size = 1;  // LOCAL_WORLD_SIZE: ranks on this machine (default: 1)
  std::string master_addr;   // MASTER_ADDR: host of rank 0, which serves the TCPStore
  int master_port = 0;       // MASTER_PORT: its port
  bool distributed() const { return world_size > 1; }
};

// Reads the variables through `get` (nullopt: unset); tests pass a map.
DistEnv parse_dist_env(const std::function<std::optional<std::string>(const std::string&)>& get);
// The same from this process's environment.
DistEnv dist_env_from_environment();

}  // namespace avr::dist
