// What every result records about the machine (core/runtime.h).
#include "avr/core/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace avr {
namespace {

TEST(Runtime, CpuDescriptionNamesTheModelAndItsWidestVectorExtension) {
  const std::string d = cpu_description();
  EXPECT_EQ(d.find("unknown CPU"), std::string::npos) << d;  // /proc/cpuinfo has a model name
  const auto open = d.rfind(" (");
  ASSERT_NE(open, std::string::npos) << d;
  const std::string simd = d.substr(open + 2, d.size() - open - 3);
  EXPECT_TRUE(simd == "avx" || simd == "avx2" || simd == "avx512f" || simd == "no AVX") << d;
  EXPECT_EQ(d.back(), ')') << d;
}

TEST(Runtime, BlasKernelIsOpenBlasOwnNameWhenOpenBlasIsLoaded) {
  const std::string k = blas_kernel();
  EXPECT_FALSE(k.empty());
  // make deps installs OpenBLAS as libblas.so.3; the test binary links LibTorch, which loads it.
  if (blas_library().find("OpenBLAS") != std::string::npos) {
    EXPECT_NE(k, "not OpenBLAS");
    // OPENBLAS_CORETYPE, when set, is what OpenBLAS reports (case aside).
    if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) {
      std::string a = k, b = forced;
      for (auto& c : a) c = static_cast<char>(std::tolower(c));
      for (auto& c : b) c = static_cast<char>(std::tolower(c));
      EXPECT_EQ(a, b);
    }
  }
}

}  // namespace
}  // namespace avr
