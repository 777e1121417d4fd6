// How each evaluation pass over a dataset (attack, localize, embeddings) reads its clips
// and shows its progress, so the three passes shard and report alike.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "avr/core/progress.h"
#include "avr/data/loader.h"
#include "avr/dist/process_group.h"

namespace avr::detail {

// The clips in dataset order, `batch_size` a batch, the first `limit` (0: all), decoded by
// `workers` threads; when `group` is distributed, only this rank's batches
// (LoaderSettings::shard_rank), the ranks together covering every clip once.
LoaderSettings eval_loader_settings(int64_t batch_size, int64_t limit, int workers,
                                    const dist::ProcessGroup* group);

// The pass's progress line ("attack", "localize", ...) over the loader's clips, shown only
// when `show` and only by rank 0, whose line then says it counts rank 0's share; null
// otherwise.
std::unique_ptr<Progress> eval_progress(bool show, const std::string& what,
                                        const BatchLoader& loader,
                                        const dist::ProcessGroup* group);

}  // namespace avr::detail
