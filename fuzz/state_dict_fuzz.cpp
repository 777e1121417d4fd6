// read_pytorch_state_dict: PyTorch's zip container (LibTorch's
// PyTorchStreamReader, not instrumented) and avr's own pickle interpreter
// (instrumented) on arbitrary bytes.
#include <torch/torch.h>

#include "avr/models/pytorch_state_dict.h"
#include "fuzz_support.h"
#include "torch_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  avr::fuzz::no_torch_backtraces();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = avr::fuzz::write_input(data, size, "state_dict.pth");
  avr::fuzz::expect_clean(path, [&] {
    for (const auto& [name, t] : avr::read_pytorch_state_dict(path))
      if (!t.defined() || t.device() != torch::kCPU) std::abort();
  });
  return 0;
}
