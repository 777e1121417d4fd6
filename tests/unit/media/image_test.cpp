#include "avr/media/image.h"

#include <gtest/gtest.h>

#include <fstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "media_fixtures.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

TEST(Image, PngRoundTripIsExactAndJpegClose) {
  test::TempDir dir;
  const Image im = test::clip_frame(4);
  write_png(dir / "a.png", im);
  EXPECT_EQ(read_image(dir / "a.png").rgb, im.rgb);
  write_jpeg(dir / "a.jpg", im, 95);
  const Image j = read_image(dir / "a.jpg");
  ASSERT_EQ(j.width, im.width);
  ASSERT_EQ(j.height, im.height);
  test::expect_source_frame(j, 4, 30);
}

// stb must see the end of the data: a file cut short at any point is an
// error naming it, never an image padded with gray.
TEST(Image, TruncatedFilesAreErrorsNamingTheFile) {
  test::TempDir dir;
  write_jpeg(dir / "full.jpg", test::clip_frame(0));
  write_png(dir / "full.png", test::clip_frame(0));
  for (const char* ext : {"jpg", "png"}) {
    const std::string full = read_text_file(dir / (std::string("full.") + ext));
    for (double keep : {0.95, 0.6, 0.3}) {
      const auto p = dir / (std::string("cut.") + ext);
      std::ofstream(p, std::ios::binary)
          << full.substr(0, static_cast<size_t>(static_cast<double>(full.size()) * keep));
      const std::string e = error_of([&] { read_image(p); });
      EXPECT_NE(e.find("cannot decode image"), std::string::npos) << ext << " " << keep << ": " << e;
      EXPECT_NE(e.find(p.string()), std::string::npos) << e;
    }
  }
}

TEST(Image, TextFileAndMissingFileAreErrorsNamingTheFile) {
  test::TempDir dir;
  std::ofstream(dir / "notes.jpg") << "this is not an image\n";
  const std::string e = error_of([&] { read_image(dir / "notes.jpg"); });
  EXPECT_NE(e.find("notes.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot decode image"), std::string::npos) << e;
  const std::string m = error_of([&] { read_image(dir / "gone.png"); });
  EXPECT_NE(m.find("image not found"), std::string::npos) << m;
  EXPECT_NE(m.find("gone.png"), std::string::npos) << m;
}

TEST(Image, EncodingAnEmptyImageIsAnError) {
  EXPECT_THROW(encode_png(Image()), Error);
  Image bad(4, 4);
  bad.rgb.resize(5);
  EXPECT_THROW(encode_jpeg(bad), Error);
}

}  // namespace
}  // namespace avr
