// Subcommand registry: each tools/avr/cmd_<name>.cpp fills an options struct
// from its flags and registers a function that runs it. Only main() catches.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "avr/dist/process_group.h"

namespace avr::cli {

using Runner = std::function<void()>;
// Adds the flags to `app` and returns what to run once they are parsed.
using Setup = std::function<Runner(CLI::App& app)>;

struct Command {
  std::string name;
  std::string summary;
  int order;  // position in `avr --help`
  Setup setup;
};

bool register_command(Command command);
const std::vector<Command>& commands();

// Flags every LibTorch command shares.
struct RuntimeFlags {
  int threads = 0;  // 0: all cores
  std::string device = "cpu";
};
void add_runtime_flags(CLI::App& app, RuntimeFlags& flags);
// Applies threads/allocator settings; returns the device name checked. With
// --threads 0 on one of several ranks on this machine (LOCAL_WORLD_SIZE), each
// rank takes its share of the cores.
void apply_runtime_flags(const RuntimeFlags& flags);

// This program's command line, as main() received it (ranks re-run it).
const std::vector<std::string>& program_arguments();

// Multi-process runs (avr/dist): --nproc N spawns N ranks of this same command on
// this machine; under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set)
// the process is one rank already.
struct DistFlags {
  int nproc = 1;
};
void add_dist_flags(CLI::App& app, DistFlags& flags);
// With --nproc N > 1 in a process that is not a rank: runs the N ranks, waits for
// them and returns true (this process's work is done; a failed rank is an
// avr::Error). Otherwise returns false.
bool launch_local_ranks(const DistFlags& flags);
// This process's group from the torchrun environment (one process when unset).
// Ranks other than 0 stop showing progress.
dist::ProcessGroup join_process_group();

}  // namespace avr::cli
