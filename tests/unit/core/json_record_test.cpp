// JsonRecord: a struct's listed members as a JSON object, every key required when read.
#include "avr/core/json_record.h"

#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace avr {
namespace {

struct Point {
  int x = 1;
  double y = 2.5;  // not listed: neither written nor read
  std::string name = "p";
};

constexpr JsonRecord kPoint("point record", json_member("x", &Point::x), json_member("name", &Point::name));

TEST(JsonRecord, WritesTheListedMembersAndReadsThemBack) {
  Point p;
  p.x = 7;
  p.y = 9.0;
  p.name = "seven";
  nlohmann::json j;
  kPoint.write(j, p);
  EXPECT_EQ(j, (nlohmann::json{{"x", 7}, {"name", "seven"}}));

  Point back;
  kPoint.read(j, back);
  EXPECT_EQ(back.x, 7);
  EXPECT_EQ(back.name, "seven");
  EXPECT_EQ(back.y, 2.5);
}

TEST(JsonRecord, EveryKeyIsRequiredAndAFailedReadLeavesTheTargetAsItWas) {
  Point untouched;
  EXPECT_NE(test::error_of([&] { kPoint.read({{"x", 5}}, untouched); }).find("point record: key 'name' is missing"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { kPoint.read({{"x", 5}, {"name", "n"}, {"y", 0.5}}, untouched); })
                .find("point record: unknown key 'y'"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { kPoint.read({{"x", "one"}, {"name", "n"}}, untouched); })
                .find("point record: key 'x' has the wrong type"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { kPoint.read(nlohmann::json::array(), untouched); }).find("expected a JSON object"),
            std::string::npos);
  EXPECT_EQ(untouched.x, 1);
  EXPECT_EQ(untouched.name, "p");
}

}  // namespace
}  // namespace avr
