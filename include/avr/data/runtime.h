// LibTorch runtime: thread count, device selection and a description of the
// build that every result records. Lives in `data`, the lowest LibTorch module.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "avr/core/runtime.h"

namespace avr {

// 0 means all cores. Also sets inter-op threads to 1: our loader has its own.
void set_threads(int threads);
int threads();

// "cpu", "cuda", "cuda:1"; a clear error when CUDA is asked for and absent.
torch::Device parse_device(const std::string& name);

// Versions, BLAS, threads, allocator, CUDA: written next to every result.
nlohmann::json runtime_info();

}  // namespace avr
