#include "avr/data/loader.h"

#include <torch/torch.h>

#include <numeric>

#include "avr/core/error.h"

namespace avr {

BatchLoader::BatchLoader(const AvDataset& dataset, ClipSettings clip, LoaderSettings settings)
    : dataset_(dataset), clip_(clip), settings_(settings) {
  clip_.validate();
  AVR_CHECK(settings_.batch_size > 0, "batch size must be positive");
  AVR_CHECK(settings_.workers >= 1, "need at least one loader worker");
  AVR_CHECK(dataset_.size() > 0, "dataset split '", dataset_.split(), "' is empty");
  AVR_CHECK(settings_.shard_count >= 1 && settings_.shard_rank >= 0 &&
                settings_.shard_rank < settings_.shard_count,
            "loader shard ", settings_.shard_rank, " of ", settings_.shard_count, " does not exist");
}

BatchLoader::~BatchLoader() { stop_workers(); }

int64_t BatchLoader::epoch_clips() const {
  const int64_t n = dataset_.size();
  return settings_.limit > 0 ? std::min(n, settings_.limit) : n;
}

int64_t BatchLoader::epoch_batches() const {
  const int64_t n = epoch_clips(), b = settings_.batch_size;
  return settings_.drop_last ? std::max<int64_t>(n / b, n >= b ? 1 : 0) : (n + b - 1) / b;
}

int64_t BatchLoader::batches_per_epoch() const {
  const int64_t all = epoch_batches(), k = settings_.shard_count, r = settings_.shard_rank;
  if (k == 1) return all;
  return settings_.drop_last ? all / k : std::max<int64_t>(0, (all - r + k - 1) / k);
}

int64_t BatchLoader::clips_per_epoch() const {
  if (settings_.shard_count == 1) return epoch_clips();
  const int64_t mine = batches_per_epoch();
  if (mine == 0) return 0;
  // Every batch is whole except perhaps the epoch's last one, when it is ours.
  const int64_t last = (mine - 1) * settings_.shard_count + settings_.shard_rank;
  const int64_t last_size = std::min<int64_t>(settings_.batch_size, epoch_clips() - last * settings_.batch_size);
  return (mine - 1) * settings_.batch_size + last_size;
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void BatchLoader::start_epoch(int64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  order_.resize(epoch_clips());
  std::iota(order_.begin(), order_.end(), 0);
  if (settings_.shuffle) {
    // Fisher-Yates with our own generator: the same order on every platform.
    Rng rng = Rng(settings_.seed).fork("loader/epoch/" + std::to_string(epoch));
    for (int64_t i = static_cast<int64_t>(order_.size()) - 1; i > 0; --i)
      std::swap(order_[i], order_[rng.randint(0, i)]);
  }
  ready_.clear();
  error_ = nullptr;
  next_to_build_ = next_to_yield_ = 0;
  stopping_ = false;
  for (int i = 0; i < settings_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Batch BatchLoader::build(int64_t local) {
  const int64_t b = local * settings_.shard_count + settings_.shard_rank;  // the epoch's batch
  const int64_t from = b * settings_.batch_size;
  const int64_t to = std::min<int64_t>(from + settings_.batch_size, order_.size());
  const int64_t n = to - from;
  Batch batch;
  batch.audio = torch::empty({n, clip_.audio_length});
  batch.frames = torch::empty({n, 3, clip_.image_size, clip_.image_size});
  batch.labels = torch::empty({n}, torch::kInt64);
  batch.indices = torch::empty({n}, torch::kInt64);
  const Rng base = Rng(settings_.seed).fork("loader/epoch/" + std::to_string(epoch_) + "/clip");
  for (int64_t k = 0; k < n; ++k) {
    const int64_t idx = order_[from + k];
    Rng rng = base.fork(static_cast<uint64_t>(idx));
    Clip c = load_clip(dataset_.layout(), dataset_.row(idx), clip_, settings_.train_transforms,
                       &rng);
    batch.audio[k].copy_(c.audio);
    batch.frames[k].copy_(c.frame);
    batch.labels[k] = dataset_.label(idx);
    batch.indices[k] = idx;
  }
  return batch;
}

void BatchLoader::worker_loop() {
  const int64_t total = batches_per_epoch();
  while (true) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || error_ || next_to_build_ >= total ||
               next_to_build_ < next_to_yield_ + settings_.prefetch;
      });
      if (stopping_ || error_ || next_to_build_ >= total) return;
      b = next_to_build_++;
    }
    try {
      Batch batch = build(b);
      std::lock_guard<std::mutex> lock(mu_);
      ready_.emplace(b, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

std::optional<Batch> BatchLoader::next() {
  AVR_ASSERT(!workers_.empty() || next_to_yield_ >= batches_per_epoch(),
             "call start_epoch() before next()");
  if (next_to_yield_ >= batches_per_epoch()) return std::nullopt;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return error_ || ready_.count(next_to_yield_); });
  if (error_) {
    auto e = error_;
    lock.unlock();
    stop_workers();
    std::rethrow_exception(e);
  }
  Batch batch = std::move(ready_.at(next_to_yield_));
  ready_.erase(next_to_yield_);
  ++next_to_yield_;
  lock.unlock();
  cv_.notify_all();
  return batch;
}

}  // namespace avr
