#include "avr/core/runtime.h"

#include <malloc.h>

#include <filesystem>

namespace avr {

namespace {
bool g_configured = false;
constexpr int kMmapThreshold = 32 << 20;  // glibc's maximum on 64-bit
constexpr int kTrimThreshold = 1 << 30;
}  // namespace

void configure_allocator() {
  if (g_configured) return;
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  mallopt(M_TOP_PAD, 64 << 20);
  g_configured = true;
}

std::string allocator_description() {
  return g_configured ? "glibc malloc, mmap threshold 32 MiB, trim threshold 1 GiB, top pad 64 MiB"
                      : "glibc malloc, defaults";
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

}  // namespace avr
