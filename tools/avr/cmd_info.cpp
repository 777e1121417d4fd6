// avr info: what this build runs on (versions, BLAS, threads, allocator, CUDA),
// plus a quick GEMM measurement so a slow BLAS is seen before a long run.
#include <torch/torch.h>

#include <iostream>

#include "avr/core/timer.h"
#include "avr/data/runtime.h"
#include "command.h"

namespace avr::cli {
namespace {

struct InfoOptions {
  RuntimeFlags runtime;
  bool json = false;
  bool gemm = true;
};

double measure_gemm_gflops() {
  torch::NoGradGuard no_grad;
  const int64_t n = 1024;
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  auto c = torch::mm(a, b);  // warm-up
  Timer t;
  int reps = 0;
  while (t.seconds() < 0.5 || reps < 3) {
    c = torch::mm(a, b);
    ++reps;
  }
  return 2.0 * n * n * n * reps / t.seconds() / 1e9;
}

void run(const InfoOptions& o) {
  apply_runtime_flags(o.runtime);
  auto info = runtime_info();
  if (o.gemm) info["gemm_gflops_1024"] = measure_gemm_gflops();
  if (o.json) {
    std::cout << info.dump(2) << "\n";
    return;
  }
  for (auto& [k, v] : info.items())
    std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
}

const bool registered = register_command(
    {"info", "print versions, BLAS, threads, allocator and CUDA availability", 90,
     [](CLI::App& app) {
       auto o = std::make_shared<InfoOptions>();
       add_runtime_flags(app, o->runtime);
       app.add_flag("--json", o->json, "print as JSON");
       app.add_flag("!--no-gemm", o->gemm, "skip the 0.5 s GEMM measurement");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
