// The torchrun environment: none of it is one process; part of it, or a value
// out of range, is a one-line error that names the variable.
#include "avr/dist/environment.h"

#include <gtest/gtest.h>

#include <map>

#include "test_support.h"

namespace avr::dist {
namespace {

DistEnv parse(const std::map<std::string, std::string>& vars) {
  return parse_dist_env([&](const std::string& k) -> std::optional<std::string> {
    const auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string error_for(const std::map<std::string, std::string>& vars) {
  return test::error_of([&] { parse(vars); });
}

}  // namespace

TEST(DistEnv, NothingSetIsOneProcess) {
  const DistEnv e = parse({});
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.world_size, 1);
  EXPECT_FALSE(e.distributed());
  // MASTER_* left over from another job do not make a multi-process run.
  EXPECT_FALSE(parse({{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1"}}).distributed());
}

TEST(DistEnv, ReadsTheTorchrunVariables) {
  const DistEnv e = parse({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                           {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29500"}});
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "node0");
  EXPECT_EQ(e.master_port, 29500);
  EXPECT_TRUE(e.distributed());
  // LOCAL_RANK defaults to RANK; a world of one needs no master.
  EXPECT_EQ(parse({{"RANK", "0"}, {"WORLD_SIZE", "1"}}).world_size, 1);
}

TEST(DistEnv, APartialOrBadEnvironmentNamesTheVariable) {
  EXPECT_NE(error_for({{"RANK", "0"}}).find("WORLD_SIZE is not"), std::string::npos);
  EXPECT_NE(error_for({{"WORLD_SIZE", "2"}}).find("RANK is not"), std::string::npos);
  EXPECT_NE(error_for({{"LOCAL_RANK", "0"}}).find("LOCAL_RANK is set"), std::string::npos);
  EXPECT_NE(error_for({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500"}}).find("MASTER_ADDR is not set"),
            std::string::npos);
  EXPECT_NE(error_for({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("MASTER_PORT is not set"),
            std::string::npos);
  EXPECT_NE(error_for({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})
                .find("RANK=2 is not below WORLD_SIZE=2"),
            std::string::npos);
  EXPECT_NE(error_for({{"RANK", "x"}, {"WORLD_SIZE", "2"}}).find("RANK='x' is not a whole number"),
            std::string::npos);
  EXPECT_NE(error_for({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT=70000 is out of range"),
            std::string::npos);
}

}  // namespace avr::dist
