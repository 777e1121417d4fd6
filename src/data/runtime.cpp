#include "avr/data/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <thread>

#include "avr/core/error.h"

namespace avr {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

int threads() { return at::get_num_threads(); }

torch::Device parse_device(const std::string& name) {
  AVR_CHECK(name == "cpu" || name.rfind("cuda", 0) == 0, "unknown device '", name,
            "': use cpu, cuda or cuda:N");
  if (name == "cpu") return torch::Device(torch::kCPU);
  AVR_CHECK(torch::cuda::is_available(), "--device ", name,
            " asked for, but this LibTorch has no CUDA or no GPU is visible; use --device cpu "
            "or build against a CUDA LibTorch with -DTorch_DIR=...");
  torch::Device d(name);
  AVR_CHECK(!d.has_index() || d.index() < static_cast<int>(torch::cuda::device_count()),
            "--device ", name, ": only ", torch::cuda::device_count(), " CUDA device(s) visible");
  return d;
}

nlohmann::json runtime_info() {
  nlohmann::json j;
  j["avr_version"] = AVR_VERSION_STRING;
  j["libtorch_version"] = TORCH_VERSION;
  j["blas"] = blas_library();
  j["blas_kernel"] = blas_kernel();
  j["cpu"] = cpu_description();
  j["threads"] = threads();
  j["allocator"] = allocator_description();
  j["openmp_wait"] = openmp_wait_description();
  j["cuda_available"] = torch::cuda::is_available();
  j["cuda_devices"] = torch::cuda::device_count();
  j["compiler"] = __VERSION__;
  return j;
}

}  // namespace avr
