#include "avr/synth/emoji_atlas.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/synth/instruments.h"

namespace avr {
namespace {

// A glyph whose opaque area is below this share of its cell is treated as
// missing (the smallest instrument, the flute, covers ~20%).
constexpr double kMinCoverage = 0.02;

SpriteLevel glyph_to_level(const FT_Bitmap& bm) {
  // BGRA, premultiplied (FreeType's colour bitmap convention); crop to alpha > 0.
  int x0 = static_cast<int>(bm.width), y0 = static_cast<int>(bm.rows), x1 = -1, y1 = -1;
  for (int y = 0; y < static_cast<int>(bm.rows); ++y)
    for (int x = 0; x < static_cast<int>(bm.width); ++x)
      if (bm.buffer[y * bm.pitch + x * 4 + 3] > 0) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
  SpriteLevel l;
  if (x1 < 0) return l;
  l.width = x1 - x0 + 1;
  l.height = y1 - y0 + 1;
  l.rgba.resize(static_cast<size_t>(l.width) * l.height * 4);
  for (int y = 0; y < l.height; ++y)
    for (int x = 0; x < l.width; ++x) {
      const unsigned char* p = bm.buffer + (y + y0) * bm.pitch + (x + x0) * 4;
      float* q = &l.rgba[(static_cast<size_t>(y) * l.width + x) * 4];
      q[0] = p[2] / 255.0f;  // B G R A -> R G B A
      q[1] = p[1] / 255.0f;
      q[2] = p[0] / 255.0f;
      q[3] = p[3] / 255.0f;
    }
  return l;
}

SpriteLevel half(const SpriteLevel& s) {
  SpriteLevel h;
  h.width = std::max(1, (s.width + 1) / 2);
  h.height = std::max(1, (s.height + 1) / 2);
  h.rgba.assign(static_cast<size_t>(h.width) * h.height * 4, 0.0f);
  for (int y = 0; y < h.height; ++y)
    for (int x = 0; x < h.width; ++x)
      for (int c = 0; c < 4; ++c) {
        float sum = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            const int sx = 2 * x + dx, sy = 2 * y + dy;  // outside the glyph: transparent
            if (sx < s.width && sy < s.height)
              sum += s.rgba[(static_cast<size_t>(sy) * s.width + sx) * 4 + c];
          }
        h.rgba[(static_cast<size_t>(y) * h.width + x) * 4 + c] = sum / 4.0f;
      }
  return h;
}

}  // namespace

const std::filesystem::path& default_emoji_font_path() {
  static const std::filesystem::path p = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
  return p;
}

EmojiAtlas::EmojiAtlas(const std::filesystem::path& font, const std::vector<uint32_t>& codepoints) {
  require_file(font, "emoji font (install fonts-noto-color-emoji, or pass --emoji-font)");
  FT_Library lib = nullptr;
  AVR_CHECK(FT_Init_FreeType(&lib) == 0, "FreeType failed to initialise");
  FT_Face face = nullptr;
  try {
    AVR_CHECK(FT_New_Face(lib, font.c_str(), 0, &face) == 0, "cannot open font ", font);
    // Colour bitmap fonts have fixed strikes only: pick the largest.
    AVR_CHECK(face->num_fixed_sizes > 0, "font ", font,
              " has no colour bitmap strikes (expected Noto Color Emoji, CBDT)");
    int best = 0;
    for (int i = 1; i < face->num_fixed_sizes; ++i)
      if (face->available_sizes[i].height > face->available_sizes[best].height) best = i;
    AVR_CHECK(FT_Select_Size(face, best) == 0, "cannot select the bitmap strike of ", font);
    for (uint32_t cp : codepoints) {
      const FT_UInt glyph = FT_Get_Char_Index(face, cp);
      AVR_CHECK(glyph != 0, "font ", font, " has no glyph for ", codepoint_string(cp),
                "; install a newer fonts-noto-color-emoji or drop that class");
      AVR_CHECK(FT_Load_Glyph(face, glyph, FT_LOAD_COLOR | FT_LOAD_RENDER) == 0, "cannot render ",
                codepoint_string(cp), " from ", font);
      const FT_Bitmap& bm = face->glyph->bitmap;
      const bool colour = bm.pixel_mode == FT_PIXEL_MODE_BGRA;
      AVR_CHECK(colour || bm.width == 0 || bm.rows == 0, "glyph ", codepoint_string(cp), " of ",
                font, " is not a colour bitmap (expected Noto Color Emoji)");
      SpriteLevel base = colour ? glyph_to_level(bm) : SpriteLevel{};
      int covered = 0;
      for (size_t i = 3; i < base.rgba.size(); i += 4) covered += base.rgba[i] > 0.5f;
      const double coverage =
          static_cast<double>(covered) / std::max<unsigned>(1, bm.width * bm.rows);
      AVR_CHECK(colour && coverage >= kMinCoverage, "glyph ", codepoint_string(cp), " of ", font,
                " renders (nearly) transparent (", covered,
                " opaque pixels): the font lacks it; install a newer fonts-noto-color-emoji");
      Sprite s;
      s.levels.push_back(std::move(base));
      while (s.levels.back().width > 2 || s.levels.back().height > 2)
        s.levels.push_back(half(s.levels.back()));
      sprites_[cp] = std::move(s);
    }
  } catch (...) {
    if (face) FT_Done_Face(face);
    FT_Done_FreeType(lib);
    throw;
  }
  FT_Done_Face(face);
  FT_Done_FreeType(lib);
}

const Sprite& EmojiAtlas::sprite(uint32_t codepoint) const {
  auto it = sprites_.find(codepoint);
  AVR_ASSERT(it != sprites_.end(), "pictogram ", codepoint_string(codepoint), " not loaded");
  return it->second;
}

}  // namespace avr
