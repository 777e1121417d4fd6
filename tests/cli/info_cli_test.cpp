#include <gtest/gtest.h>

#include <sstream>

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

// `avr --help` lists one line per subcommand; the long text stays in each subcommand's own
// --help (extract and synth once printed their whole descriptions in the list).
TEST(Cli, HelpListsOneLinePerSubcommand) {
  auto r = test::run_avr("--help");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << r.output;
  std::istringstream lines(r.output.substr(at));
  std::string line;
  std::getline(lines, line);  // the heading
  int listed = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    EXPECT_EQ(line.rfind("  ", 0), 0u) << "not a subcommand line: " << line;
    EXPECT_NE(line[2], ' ') << "a subcommand's summary runs over several lines: " << line;
    EXPECT_LE(line.size(), 200u) << line;
    ++listed;
  }
  EXPECT_EQ(listed, 10) << r.output;  // extract synth train import export eval attack localize study info
  auto synth = test::run_avr("synth --help");
  EXPECT_NE(synth.output.find("Profiles: tiny"), std::string::npos) << synth.output;
}

}  // namespace avr
