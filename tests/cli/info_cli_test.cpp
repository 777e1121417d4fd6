#include <gtest/gtest.h>

#include "test_support.h"

namespace avr {

TEST(Cli, InfoReportsBlasAndThreads) {
  auto r = test::run_avr("info --threads 2 --no-gemm");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("blas:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("threads: 2"), std::string::npos) << r.output;
}

TEST(Cli, UnknownFlagIsOneLineAndExitCode2) {
  auto r = test::run_avr("info --no-such-flag");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;
}

TEST(Cli, MissingCudaIsAClearError) {
  auto r = test::run_avr("info --device cuda:7 --no-gemm");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
}

}  // namespace avr
