#include "avr/core/runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace avr {

namespace {
bool g_configured = false;
constexpr int kTrimThreshold = 1 << 30;
}  // namespace

void configure_allocator() {
  if (g_configured) return;
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  mallopt(M_TOP_PAD, 64 << 20);
  // Every size from the heap (so no mmap threshold to set): glibc still falls
  // back to mmap when the heap cannot grow (or a thread arena's heap would
  // pass its 64 MiB limit).
  mallopt(M_MMAP_MAX, 0);
  g_configured = true;
}

std::string allocator_description() {
  return g_configured ? "glibc malloc, no mmap, trim threshold 1 GiB, top pad 64 MiB"
                      : "glibc malloc, defaults";
}

void reexec_with_short_openmp_spin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  // Not worth a second start-up (~0.8 s) for help and version text.
  if (!argv[0] || !argv[1]) return;
  for (char** a = argv + 1; *a; ++a) {
    const std::string arg = *a;
    if (arg == "--help" || arg == "-h" || arg == "--version") return;
  }
  setenv("GOMP_SPINCOUNT", "1000", 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with libgomp's default policy.
}

std::string openmp_wait_description() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  std::string d;
  if (policy) d += std::string("OMP_WAIT_POLICY=") + policy;
  if (spin) d += std::string(d.empty() ? "" : ", ") + "GOMP_SPINCOUNT=" + spin;
  return d.empty() ? "libgomp default (spin ~300k iterations)" : d;
}

std::string blas_library() {
  namespace fs = std::filesystem;
  for (const char* link : {"/etc/alternatives/libblas.so.3-x86_64-linux-gnu",
                           "/etc/alternatives/libblas.so.3"}) {
    std::error_code ec;
    if (fs::is_symlink(link, ec)) {
      auto target = fs::read_symlink(link, ec).string();
      if (target.find("openblas") != std::string::npos) return "OpenBLAS (" + target + ")";
      if (target.find("blis") != std::string::npos) return "BLIS (" + target + ")";
      if (target.find("mkl") != std::string::npos) return "MKL (" + target + ")";
      return "reference BLAS, slow: run `make deps` (" + target + ")";
    }
  }
  return "unknown";
}

std::string cpu_description() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU", flags;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && model == "unknown CPU") model = value;
    if (key == "flags" && flags.empty()) flags = " " + value + " ";
    if (model != "unknown CPU" && !flags.empty()) break;
  }
  // The widest vector extension decides which BLAS and oneDNN kernels run.
  std::string simd = "no AVX";
  for (const char* f : {"avx", "avx2", "avx512f"})
    if (flags.find(std::string(" ") + f + " ") != std::string::npos) simd = f;
  return model + " (" + simd + ")";
}

std::string blas_kernel() {
  // OpenBLAS picks its kernels for the CPU at run time (OPENBLAS_CORETYPE overrides it).
  using CoreName = char* (*)();
  if (auto* f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) return f();
  return "not OpenBLAS";
}

}  // namespace avr
