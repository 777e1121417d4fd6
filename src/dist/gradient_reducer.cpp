#include "avr/dist/gradient_reducer.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr::dist {

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, int64_t bucket_bytes)
    : params_(std::move(parameters)), bucket_bytes_(bucket_bytes) {
  AVR_ASSERT(bucket_bytes_ > 0, "bucket size must be positive");
}

GradientReducer::~GradientReducer() {
  for (const auto& [param, hook] : hooks_) params_[param].remove_hook(hook);
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

void GradientReducer::lay_out_buckets() {
  bucket_of_.assign(params_.size(), 0);
  slot_of_.assign(params_.size(), 0);
  int64_t filled = 0;
  for (size_t i = params_.size(); i-- > 0;) {
    const auto& p = params_[i];
    if (!p.requires_grad()) continue;  // never gets a gradient
    AVR_ASSERT(p.device().is_cpu() && !p.is_sparse(), "gradient averaging takes dense CPU parameters");
    const int64_t bytes = static_cast<int64_t>(p.numel()) * static_cast<int64_t>(p.element_size());
    if (buckets_.empty() || filled + bytes > bucket_bytes_ ||
        params_[buckets_.back().params.front()].scalar_type() != p.scalar_type()) {
      buckets_.emplace_back();
      filled = 0;
    }
    Bucket& b = buckets_.back();
    b.offsets.push_back(b.params.empty() ? 0 : b.offsets.back() + params_[b.params.back()].numel());
    slot_of_[i] = b.params.size();
    b.params.push_back(i);
    bucket_of_[i] = buckets_.size() - 1;
    filled += bytes;
  }
  for (auto& b : buckets_) {
    const auto& last = params_[b.params.back()];
    b.flat = torch::zeros({b.offsets.back() + last.numel()}, last.options().requires_grad(false));
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].requires_grad())
      hooks_.emplace_back(i, params_[i].register_hook([this, i](const torch::Tensor& grad) { on_gradient(i, grad); }));
}

void GradientReducer::arm(ProcessGroup& group) {
  if (!group.distributed()) return;
  AVR_ASSERT(!armed_, "GradientReducer::arm twice without finish");
  if (hooks_.empty()) lay_out_buckets();
  torch::NoGradGuard ng;
  for (auto& b : buckets_) {
    b.flat.zero_();
    b.waiting = b.params.size();
    b.sent = false;
  }
  armed_ = &group;
}

void GradientReducer::on_gradient(size_t param, const torch::Tensor& grad) {
  if (!armed_) return;  // a gradient outside the training step's backward pass
  torch::NoGradGuard ng;
  Bucket& b = buckets_[bucket_of_[param]];
  const size_t slot = slot_of_[param];
  AVR_ASSERT(b.waiting > 0 && !b.sent, "a parameter's gradient arrived twice in one backward pass");
  b.flat.narrow(0, b.offsets[slot], grad.numel()).copy_(grad.reshape({-1}));
  if (--b.waiting == 0) send(b);
}

void GradientReducer::send(Bucket& b) {
  armed_->all_reduce_sum_start(b.flat);
  b.sent = true;
}

void GradientReducer::finish() {
  if (!armed_) return;
  torch::NoGradGuard ng;
  last_sent_in_backward_ = 0;
  for (const auto& b : buckets_) last_sent_in_backward_ += b.sent;
  // Buckets whose parameters did not all get a gradient, in layout order on every rank.
  for (auto& b : buckets_)
    if (!b.sent) send(b);
  ProcessGroup& group = *armed_;
  armed_ = nullptr;
  group.wait_pending();
  last_bytes_ = 0;
  for (auto& b : buckets_) {
    b.flat.div_(group.world_size());
    last_bytes_ += static_cast<int64_t>(b.flat.nbytes());
    for (size_t s = 0; s < b.params.size(); ++s) {
      auto g = params_[b.params[s]].grad();
      if (!g.defined()) continue;
      g.copy_(b.flat.narrow(0, b.offsets[s], g.numel()).view_as(g));
    }
  }
  last_buckets_ = static_cast<int64_t>(buckets_.size());
}

}  // namespace avr::dist
