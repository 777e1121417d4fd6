#include "avr/dist/gradient_reducer.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr::dist {

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, int64_t bucket_bytes)
    : params_(std::move(parameters)), bucket_bytes_(bucket_bytes) {
  AVR_ASSERT(bucket_bytes_ > 0, "bucket size must be positive");
}

void GradientReducer::average(ProcessGroup& group) {
  if (!group.distributed()) return;
  torch::NoGradGuard ng;
  // Buckets of consecutive gradients of one dtype, each flattened into one buffer.
  std::vector<std::vector<torch::Tensor>> buckets;
  int64_t filled = 0;
  for (auto& p : params_) {
    auto g = p.grad();
    if (!g.defined()) continue;
    AVR_ASSERT(!g.is_sparse() && g.device().is_cpu(), "gradient averaging takes dense CPU gradients");
    const int64_t bytes = static_cast<int64_t>(g.nbytes());
    if (buckets.empty() || filled + bytes > bucket_bytes_ ||
        buckets.back().front().scalar_type() != g.scalar_type()) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(g);
    filled += bytes;
  }
  std::vector<torch::Tensor> flat;
  flat.reserve(buckets.size());
  for (const auto& b : buckets) {
    std::vector<torch::Tensor> views;
    views.reserve(b.size());
    for (const auto& g : b) views.push_back(g.reshape({-1}));
    flat.push_back(torch::cat(views));
  }
  group.all_reduce_sum(flat);
  last_bytes_ = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    flat[i].div_(group.world_size());
    last_bytes_ += static_cast<int64_t>(flat[i].nbytes());
    int64_t offset = 0;
    for (auto& g : buckets[i]) {
      const int64_t n = g.numel();
      g.copy_(flat[i].narrow(0, offset, n).view_as(g));
      offset += n;
    }
  }
  last_buckets_ = static_cast<int64_t>(buckets.size());
}

}  // namespace avr::dist
