// Data-parallel gradients: after each rank's backward pass on its share of a
// global batch, the gradients are averaged over the ranks, so every rank takes
// the same optimizer step as one process on the whole batch (the loss being a
// mean over clips: the average of the ranks' means over equal shares is the
// mean over the batch). As PyTorch's DistributedDataParallel, gradients go in
// buckets (flattened into one buffer of up to `bucket_bytes`, default 25 MiB),
// all buckets in flight together; unlike it, the all-reduce starts after the
// backward pass rather than overlapping it.
#pragma once

#include <torch/types.h>

#include <vector>

#include "avr/dist/process_group.h"

namespace avr::dist {

class GradientReducer {
 public:
  explicit GradientReducer(std::vector<torch::Tensor> parameters, int64_t bucket_bytes = 25 << 20);

  // Replaces every defined .grad() by its mean over the group's ranks (a no-op
  // for one process). Parameters without a gradient this step are left alone;
  // the ranks run the same model and loss, so they lack the same ones.
  void average(ProcessGroup& group);

  int64_t last_bytes() const { return last_bytes_; }     // payload of the last average()
  int64_t last_buckets() const { return last_buckets_; }

 private:
  std::vector<torch::Tensor> params_;
  int64_t bucket_bytes_;
  int64_t last_bytes_ = 0, last_buckets_ = 0;
};

}  // namespace avr::dist
