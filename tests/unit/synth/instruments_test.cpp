#include "avr/synth/instruments.h"

#include <gtest/gtest.h>

#include <set>

#include "avr/core/error.h"
#include "avr/synth/emoji_atlas.h"
#include "avr/synth/sound_renderer.h"

namespace avr {

TEST(Instruments, TableIsSortedValidAndUsableAsFolderNames) {
  const auto& all = instruments();
  ASSERT_GE(all.size(), 10u);
  std::set<uint32_t> codepoints;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& in = all[i];
    if (i > 0) {
      EXPECT_LT(all[i - 1].name, in.name) << "not sorted / duplicate";
    }
    for (char c : in.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << in.name;
    EXPECT_TRUE(codepoints.insert(in.codepoint).second) << in.name << " shares its pictogram";
    if (in.percussion()) {
      EXPECT_FALSE(in.percussion_keys.empty()) << in.name;
    } else {
      EXPECT_TRUE(in.percussion_keys.empty()) << in.name;
      EXPECT_GE(in.high_key - in.low_key, 12) << in.name << ": range under an octave";
      EXPECT_GE(in.gm_program, 0);
      EXPECT_LE(in.gm_program, 127);
    }
  }
  EXPECT_EQ(find_instrument("violin").gm_program, 40);
  EXPECT_EQ(codepoint_string(find_instrument("accordion").codepoint), "U+1FA97");
}

TEST(Instruments, UnknownClassErrorListsTheKnownOnes) {
  try {
    find_instrument("cello");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cello"), std::string::npos) << m;
    EXPECT_NE(m.find("violin"), std::string::npos) << m;
  }
}

TEST(EmojiAtlas, EveryClassHasAnOpaquePictogramWithAMipChain) {
  std::vector<uint32_t> cps;
  for (const auto& in : instruments()) cps.push_back(in.codepoint);
  const EmojiAtlas atlas(default_emoji_font_path(), cps);
  for (const auto& in : instruments()) {
    const Sprite& s = atlas.sprite(in.codepoint);
    // Noto's strike is 136x128; cropped to the opaque part, still large.
    EXPECT_GE(std::max(s.width(), s.height()), 80) << in.name;
    EXPECT_LE(s.width(), 136) << in.name;
    ASSERT_GE(s.levels.size(), 5u) << in.name;
    EXPECT_EQ(s.levels[1].width, (s.width() + 1) / 2);
    // Premultiplied: colour never exceeds alpha; the mip level keeps the mean alpha.
    double a0 = 0, a1 = 0;
    for (size_t i = 0; i < s.levels[0].rgba.size(); i += 4) {
      for (int c = 0; c < 3; ++c)
        ASSERT_LE(s.levels[0].rgba[i + c], s.levels[0].rgba[i + 3] + 1e-6f);
      a0 += s.levels[0].rgba[i + 3];
    }
    for (size_t i = 3; i < s.levels[1].rgba.size(); i += 4) a1 += s.levels[1].rgba[i];
    EXPECT_NEAR(a1 * 4, a0, a0 * 1e-4) << in.name;
  }
}

TEST(EmojiAtlas, MissingGlyphIsAClearError) {
  // U+E000 is a private-use codepoint no emoji font draws.
  try {
    EmojiAtlas atlas(default_emoji_font_path(), {0x1F3BB, 0xE000});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("U+E000"), std::string::npos) << e.what();
  }
  // U+200D (zero width joiner) has a glyph, and it is empty: the pitfall of a
  // glyph that renders fully transparent.
  try {
    EmojiAtlas atlas(default_emoji_font_path(), {0x200D});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transparent"), std::string::npos) << e.what();
  }
  EXPECT_THROW(EmojiAtlas("/nonexistent/emoji.ttf", {0x1F3BB}), Error);
}

TEST(SoundRenderer, MissingSoundfontIsAClearError) {
  try {
    SoundRenderer r("/nonexistent/gm.sf2", 11025);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/gm.sf2"), std::string::npos) << e.what();
  }
}

}  // namespace avr
