#include "avr/attacks/objective.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr {

ObjectiveFn cross_entropy_objective(LogitsFn logits_fn) {
  AVR_CHECK(logits_fn, "cross_entropy_objective: empty logits function");
  return [f = std::move(logits_fn)](const torch::Tensor& audio, const torch::Tensor& frames,
                                     const torch::Tensor& labels) {
    Objective o;
    o.logits = f(audio, frames);
    o.loss = torch::nn::functional::cross_entropy(
        o.logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    return o;
  };
}

}  // namespace avr
