#include "state_copy.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "avr/core/error.h"

namespace avr::detail {
namespace {

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

}  // namespace

void apply_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& state,
                 const std::filesystem::path& path,
                 const std::vector<std::string>& ignored_prefixes) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    auto it = state.find(name);
    AVR_CHECK(it != state.end(), "checkpoint ", path, " lacks tensor '", name,
              "' that the model has (saved from a different model or version?)");
    AVR_CHECK(it->second.sizes() == dst.sizes(), "checkpoint ", path, ": tensor '", name,
              "' has shape ", shape_str(it->second.sizes()), " but the model expects ",
              shape_str(dst.sizes()));
    dst.copy_(it->second);
    used.insert(name);
  };
  for (auto& item : module.named_parameters(true)) copy(item.key(), item.value());
  for (auto& item : module.named_buffers(true)) copy(item.key(), item.value());
  for (const auto& entry : state) {
    const std::string& name = entry.first;  // not a structured binding: the lambda captures it
    AVR_CHECK(used.count(name) ||
                  std::any_of(ignored_prefixes.begin(), ignored_prefixes.end(),
                              [&](const std::string& p) { return name.rfind(p, 0) == 0; }),
              "checkpoint ", path, " has tensor '", name, "' ", shape_str(entry.second.sizes()),
              " that the model does not (saved from a different model?)");
  }
}

}  // namespace avr::detail
