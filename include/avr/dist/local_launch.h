// `avr train|attack --nproc N`: N ranks of the same command on this machine,
// as `torchrun --nproc-per-node N` would start them. Each rank is this program
// run again with the same arguments and the torchrun environment set (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free
// MASTER_PORT), plus AVR_LOCAL_LAUNCH=1 so a rank knows it was spawned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace avr::dist {

// Set in the environment of the ranks run_local_ranks starts.
inline constexpr const char* kLocalLaunchVar = "AVR_LOCAL_LAUNCH";

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice).
uint16_t free_local_port();

// Starts `executable` with `argv` (argv[0] included) `nproc` times, one rank
// each, and waits for them all. Returns when every rank exited with 0. When one
// fails, the others are stopped (SIGTERM) and an avr::Error names the rank and
// its exit status; the rank's own message is already on stderr.
void run_local_ranks(int nproc, const std::string& executable, const std::vector<std::string>& argv);

}  // namespace avr::dist
