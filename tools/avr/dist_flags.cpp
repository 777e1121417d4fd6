// --nproc and joining the ranks of a multi-process run (command.h).
#include <cstdlib>

#include "avr/core/error.h"
#include "avr/core/progress.h"
#include "avr/dist/local_launch.h"
#include "command.h"

namespace avr::cli {

void add_dist_flags(CLI::App& app, DistFlags& flags) {
  app.add_option("--nproc", flags.nproc,
                 "run as N processes on this machine (c10d ranks over loopback, as torchrun "
                 "--nproc-per-node N); under torchrun leave it out")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

bool launch_local_ranks(const DistFlags& flags) {
  const bool spawned = std::getenv(dist::kLocalLaunchVar) != nullptr;
  if (flags.nproc <= 1 || spawned) return false;
  AVR_CHECK(std::getenv("RANK") == nullptr,
            "--nproc starts its own ranks, but RANK is set (torchrun?): leave --nproc out under "
            "torchrun, or unset RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
  dist::run_local_ranks(flags.nproc, "/proc/self/exe", program_arguments());
  return true;
}

dist::ProcessGroup join_process_group() {
  dist::ProcessGroup group = dist::ProcessGroup::from_environment();
  if (!group.is_root()) Progress::set_enabled(false);
  return group;
}

}  // namespace avr::cli
