#include "eval_pass.h"

namespace avr::detail {

LoaderSettings eval_loader_settings(int64_t batch_size, int64_t limit, int workers,
                                    const dist::ProcessGroup* group) {
  LoaderSettings ls;
  ls.batch_size = batch_size;
  ls.limit = limit;
  ls.workers = workers;
  if (group && group->distributed()) {
    ls.shard_rank = group->rank();
    ls.shard_count = group->world_size();
  }
  return ls;
}

std::unique_ptr<Progress> eval_progress(bool show, const std::string& what,
                                        const BatchLoader& loader,
                                        const dist::ProcessGroup* group) {
  if (!show || (group && !group->is_root())) return nullptr;
  const bool sharded = group && group->distributed();
  return std::make_unique<Progress>(sharded ? what + " (rank 0's share)" : what,
                                    loader.clips_per_epoch(), "clips");
}

}  // namespace avr::detail
