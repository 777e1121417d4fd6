// Instrument pictograms from Noto Color Emoji (CBDT colour bitmaps, rendered by
// FreeType with FT_LOAD_COLOR), kept as premultiplied RGBA with a mip chain so
// they can be drawn small without aliasing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

namespace avr {

struct SpriteLevel {
  int width = 0;
  int height = 0;
  std::vector<float> rgba;  // premultiplied, [0, 1], row-major, 4 floats a pixel
};

struct Sprite {
  // levels[0] is the glyph cropped to its opaque part; each next level is half
  // the size (2x2 box filter, exact for premultiplied colour).
  std::vector<SpriteLevel> levels;
  int width() const { return levels.front().width; }
  int height() const { return levels.front().height; }
};

const std::filesystem::path& default_emoji_font_path();  // Debian's NotoColorEmoji.ttf

class EmojiAtlas {
 public:
  // Renders every codepoint; a missing glyph renders fully transparent, not
  // as a box, so each one's alpha is checked and a missing one is an error.
  EmojiAtlas(const std::filesystem::path& font, const std::vector<uint32_t>& codepoints);
  const Sprite& sprite(uint32_t codepoint) const;

 private:
  std::map<uint32_t, Sprite> sprites_;
};

}  // namespace avr
