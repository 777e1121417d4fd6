// Data-parallel gradients: after each rank's backward pass on its share of a
// global batch, the gradients are averaged over the ranks, so every rank takes
// the same optimizer step as one process on the whole batch (the loss being a
// mean over clips: the average of the ranks' means over equal shares is the
// mean over the batch). As PyTorch's DistributedDataParallel, gradients go in
// buckets (flattened into one buffer of up to `bucket_bytes`, default 25 MiB).
//
// Two ways to use it:
//  - average(group) after the backward pass: every bucket is reduced then (all
//    in flight together);
//  - arm(group) before the backward pass and finish() after it: the all-reduce
//    overlaps the backward pass, as DistributedDataParallel's. Buckets are laid
//    out in reverse parameter order (the order in which backward produces the
//    gradients), a hook on each parameter copies its gradient into its bucket as
//    it is computed, and a bucket is sent the moment its last gradient arrives,
//    while backward goes on with the earlier layers. finish() sends what did not
//    fill (parameters that got no gradient count as zeros), waits, and writes
//    the means into .grad.
// With two ranks both give the same bits (each element is a + b either way).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "avr/dist/process_group.h"

namespace avr::dist {

class GradientReducer {
 public:
  explicit GradientReducer(std::vector<torch::Tensor> parameters, int64_t bucket_bytes = 25 << 20);
  ~GradientReducer();
  // The hooks hold `this`.
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Replaces every defined .grad() by its mean over the group's ranks (a no-op
  // for one process). Parameters without a gradient this step are left alone;
  // the ranks run the same model and loss, so they lack the same ones.
  void average(ProcessGroup& group);

  // Overlapped: call arm() right before loss.backward() and finish() right
  // after it, on every rank (a no-op pair for one process). Gradients computed
  // outside an arm/finish pair (an attack's input gradients) are not touched.
  // The parameters' .grad must hold nothing but this backward pass's gradient
  // (zeroed or undefined before it): the means replace them.
  void arm(ProcessGroup& group);
  void finish();

  int64_t last_bytes() const { return last_bytes_; }     // payload of the last average()/finish()
  int64_t last_buckets() const { return last_buckets_; }
  // Of the last finish(): buckets sent during the backward pass (the rest were sent by finish).
  int64_t last_sent_in_backward() const { return last_sent_in_backward_; }

 private:
  struct Bucket {
    std::vector<size_t> params;   // indices into params_, in the order they fill
    std::vector<int64_t> offsets;  // of each in `flat`
    torch::Tensor flat;
    size_t waiting = 0;  // gradients still to come this pass
    bool sent = false;
  };
  void lay_out_buckets();
  void on_gradient(size_t param, const torch::Tensor& grad);
  void send(Bucket& b);

  std::vector<torch::Tensor> params_;
  int64_t bucket_bytes_;
  int64_t last_bytes_ = 0, last_buckets_ = 0, last_sent_in_backward_ = 0;
  // Overlapped mode, set up by the first arm().
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_, slot_of_;  // per parameter: its bucket, its place there
  std::vector<std::pair<size_t, unsigned>> hooks_;  // parameter, hook handle
  ProcessGroup* armed_ = nullptr;  // set between arm() and finish()
};

}  // namespace avr::dist
