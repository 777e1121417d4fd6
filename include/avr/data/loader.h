// Batches of clips decoded and transformed on worker threads ahead of the
// model. The order and every augmentation come from (seed, epoch, clip index),
// so batches are the same whatever the number of workers.
#pragma once

#include <torch/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "avr/data/dataset.h"

namespace avr {

struct Batch {
  torch::Tensor audio;    // [B, L] float32 in [-1, 1]
  torch::Tensor frames;   // [B, 3, S, S] float32 in [0, 1]
  torch::Tensor labels;   // [B] int64
  torch::Tensor indices;  // [B] int64, rows of the dataset
};

struct LoaderSettings {
  int64_t batch_size = 48;
  bool shuffle = false;
  bool train_transforms = false;  // random crop/flip/volume (ClipSettings)
  bool drop_last = false;
  int workers = 2;
  int prefetch = 4;               // batches decoded ahead
  uint64_t seed = 0;
  int64_t limit = 0;              // use only the first `limit` clips (0: all)
  // Data parallelism (avr/dist): the epoch's batches are those of one process
  // (same order, same batch_size clips each); this loader yields only those whose
  // index ≡ shard_rank (mod shard_count). With drop_last every shard gets the same
  // number, the batches after the last whole round being dropped. Each clip keeps
  // its augmentation stream (seed, epoch, clip index), so a shard's clips are the
  // same tensors as in one process.
  int shard_rank = 0;
  int shard_count = 1;
};

class BatchLoader {
 public:
  BatchLoader(const AvDataset& dataset, ClipSettings clip, LoaderSettings settings);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Begins an epoch (stops any unfinished one); its order depends only on
  // (seed, epoch).
  void start_epoch(int64_t epoch);
  // The next batch of the epoch, or nothing at its end. Rethrows a worker's
  // error (a missing or corrupt file) with the file's name.
  std::optional<Batch> next();
  // This loader's batches and clips per epoch (its shard's; all without shards).
  int64_t batches_per_epoch() const;
  int64_t clips_per_epoch() const;

 private:
  int64_t epoch_clips() const;    // clips of the epoch over every shard
  int64_t epoch_batches() const;  // batches of the epoch over every shard
  Batch build(int64_t batch_index);
  void worker_loop();
  void stop_workers();

  const AvDataset& dataset_;
  ClipSettings clip_;
  LoaderSettings settings_;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Batch> ready_;
  std::exception_ptr error_;
  int64_t next_to_build_ = 0, next_to_yield_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace avr
