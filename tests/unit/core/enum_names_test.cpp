// EnumNames: one table of names gives to_string, parse and from_json of an enum, and the
// errors that list what is valid.
#include "avr/core/enum_names.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace avr {
namespace {

enum class Shade { None, Light, Dark };
constexpr EnumNames<Shade, 3> kShades{"shade", {{{Shade::None, ""}, {Shade::Light, "light"}, {Shade::Dark, "dark"}}}};

bool error_says(const std::function<void()>& f, const std::string& text) {
  return test::error_of(f).find(text) != std::string::npos;
}

TEST(EnumNames, NamesAndParsesEveryValue) {
  for (const auto shade : {Shade::None, Shade::Light, Shade::Dark})
    EXPECT_EQ(kShades.parse(kShades.name(shade)), shade);
  EXPECT_EQ(kShades.name(Shade::Dark), "dark");
}

TEST(EnumNames, AnUnknownNameListsTheValidOnesButNotTheEmptyOne) {
  EXPECT_TRUE(error_says([] { kShades.parse("grey"); }, "shade 'grey' is unknown: use one of light, dark"));
}

TEST(EnumNames, FromJsonReadsAStringAndRefusesAnythingElse) {
  EXPECT_EQ(kShades.from_json(nlohmann::json("light")), Shade::Light);
  EXPECT_TRUE(error_says([] { kShades.from_json(nlohmann::json(3)); }, "shade must be a string (light, dark), got 3"));
  EXPECT_TRUE(error_says([] { kShades.from_json(nlohmann::json::array()); }, "shade must be a string (light, dark), got []"));
  EXPECT_TRUE(error_says([] { kShades.from_json(nlohmann::json("Dark")); }, "shade 'Dark' is unknown"));
}

}  // namespace
}  // namespace avr
