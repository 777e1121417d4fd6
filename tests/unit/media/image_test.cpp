#include "avr/media/image.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

// After a scan, stb takes the end of the data for the end of the image: the bits a cut
// scan lacks decode as zeros, and it can hand back blocks of gray without an error, so a
// frame cut short by a failed copy would pass as whole. Cut anywhere from the middle of
// its scan to just before its last byte (EOI's 0xD9), a JPEG is refused, naming the file.
TEST(Image, JpegCutShortAnywhereInItsScanIsAnErrorNamingTheFile) {
  test::TempDir dir;
  Image im(96, 64);  // busy content: the scan data is most of the file
  for (size_t i = 0; i < im.rgb.size(); ++i) im.rgb[i] = static_cast<uint8_t>(i * 37 % 251);
  write_jpeg(dir / "full.jpg", im, 90);
  const std::string full = read_text_file(dir / "full.jpg");
  ASSERT_EQ(read_image(dir / "full.jpg").width, 96);
  std::vector<size_t> keeps = {full.size() - 1, full.size() - 2};
  for (size_t keep = full.size() / 2; keep < full.size() - 2; keep += 7) keeps.push_back(keep);
  const auto p = dir / "cut.jpg";
  for (const size_t keep : keeps) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << full.substr(0, keep);
    const std::string e = error_of([&] { read_image(p); });
    EXPECT_NE(e.find("(a truncated JPEG)"), std::string::npos) << keep << " of " << full.size() << ": " << e;
    EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  }
}

// fuzz/image_fuzz.cpp (2026-12-02): a few-KB JPEG whose frame header claims thousands of
// pixels a side was decoded in full from padding before stb found it short (libFuzzer's
// slowest inputs). Every 8x8 block costs at least one bit, so it is refused first.
TEST(Image, JpegClaimingMorePixelsThanItsBytesCanHoldIsRefusedBeforeDecoding) {
  test::TempDir dir;
  write_jpeg(dir / "small.jpg", test::clip_frame(0));
  std::string bytes = read_text_file(dir / "small.jpg");
  const size_t sof = bytes.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos) << "stb wrote no baseline frame header";
  // SOF0: marker, length (2), precision (1), height (2), width (2).
  for (size_t at : {sof + 5, sof + 7}) bytes[at] = 0x10, bytes[at + 1] = 0;  // 4096
  const auto p = dir / "claims_4096.jpg";
  std::ofstream(p, std::ios::binary) << bytes;
  const std::string e = error_of([&] { read_image(p); });
  EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  EXPECT_NE(e.find("its header claims 4096x4096 pixels"), std::string::npos) << e;
  EXPECT_NE(e.find("a truncated or corrupt JPEG"), std::string::npos) << e;
}

// The rule above must never refuse a whole JPEG: the most compressible ones there are
// (one flat color, Huffman tables optimized for it, baseline and progressive, gray and
// 4:2:0 color, sizes that are and are not multiples of the block), written by libjpeg
// through Pillow, are all read at their size.
TEST(Image, TheMostCompressibleWholeJpegsAreRead) {
  test::TempDir dir;
  const std::string script = R"(
import sys
from PIL import Image
out = sys.argv[1]
for mode, w, h, progressive in [("L", 2048, 2048, False), ("L", 2048, 2048, True),
                                ("RGB", 2048, 2048, False), ("RGB", 2048, 2048, True),
                                ("RGB", 4001, 9, True), ("L", 1, 1, False), ("RGB", 17, 3000, False)]:
    name = f"{out}/{mode}_{w}x{h}_{'progressive' if progressive else 'baseline'}.jpg"
    Image.new(mode, (w, h)).save(name, quality=5, optimize=True, progressive=progressive, subsampling=2)
    print(name, w, h)
)";
  std::ofstream(dir / "make.py") << script;
  const auto r = test::run_shell("/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n(Pillow writes the test images: `make deps` installs python3-pil)";
  std::istringstream made(r.output);
  std::string name;
  int w = 0, h = 0, files = 0;
  while (made >> name >> w >> h) {
    ++files;
    const Image im = read_image(name);
    EXPECT_EQ(im.width, w) << name;
    EXPECT_EQ(im.height, h) << name;
  }
  EXPECT_EQ(files, 7);
}

// fuzz/image_fuzz.cpp (2026-12-02; fuzz/regressions/image/): a DHT with too many codes
// after 0xFF 0xFF 0x00 in scan data, which stb reads as data and the segment walk read as a
// marker, so the walk never saw the DHT that stb then built (UBSan: index 257 out of
// bounds). Every 0xFF 0xC4 after the first scan is checked now.
TEST(Image, JpegHuffmanTableHiddenInScanDataIsAnErrorNamingTheFile) {
  const std::filesystem::path p =
      std::filesystem::path(AVR_SOURCE_DIR) / "fuzz/regressions/image/dht_after_ff_ff_00_in_scan_data.jpg";
  const std::string e = error_of([&] { read_image(p); });
  EXPECT_NE(e.find(p.string()), std::string::npos) << e;
  EXPECT_NE(e.find("a JPEG Huffman table has more than 256 codes"), std::string::npos) << e;
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

// fuzz/image_fuzz.cpp's first crasher (68 bytes): fill bytes, SOI, then a DHT
// table whose 16 code-length counts add up to more than 256. Debian's stb_image
// indexes its 257-entry size[] with them (an out-of-bounds write); read_image
// rejects the table before stb sees it.
TEST(Image, JpegHuffmanTableWithTooManyCodesIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::string bytes(
      "\xff\xff\xff\xff\xff\xff\xff\xff\xd8\xff\xff\xff\xff\xff\xff\xc4\xff\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x35\x30\xff\x7e\xff\xff\xff\xff\x5b\xff\xff\xff\xff"
      "\xff\xff\xff\xff\xfe\xfd\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
      68);
  std::ofstream(dir / "dht.jpg", std::ios::binary) << bytes;
  const std::string e = error_of([&] { read_image(dir / "dht.jpg"); });
  EXPECT_NE(e.find("dht.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("Huffman table has more than 256 codes"), std::string::npos) << e;
  // Valid JPEGs (stb_image_write's, PngRoundTripIsExactAndJpegClose) pass the check.
}

// fuzz/image_fuzz.cpp: an 8x6 PNG (153 bytes) whose IDAT chunk claims ~1 GB;
// stb grew its buffer to 2 GB for it before reading a byte.
TEST(Image, PngChunkLongerThanTheFileIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::string bytes(
      "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x06"
      "\x08\x02\x00\x00\x00\x71\x67\x48\xac\x00\x00\x00\x18\x49\x44\x41\x54\x78\x5e\x63\x64\x20\x30\x06"
      "\x2c\x80\x1e\x12\x00\xa3\x00\x00\x78\x5e\x63\x64\x20\x30\x06\x2c\x80\x1e\x12\x00\xa3\x00\x00\x00"
      "\x18\x49\x44\x41\x54\x78\x5e\x63\x64\x20\x30\x06\x2c\x80\x1e\x12\x00\x48\x01\x56\x5b\x64\x9b\x67"
      "\x00\x00\x00\x00\x49\x45\x6e\x6e\x6e\x6e\x6e\x00\x18\x49\x44\x41\x54\x78\x5e\x63\x64\x20\x30\x06"
      "\x2c\x80\x1e\x12\x00\x48\x01\x56\x5b\x64\x9b\x67\x00\x00\x00\x00\x49\x45\x6e\x6e\x6e\x6e\x6e\x6e"
      "\x6e\x6e\x6e\x4e\x44\xae\x42\x60\x82",
      153);
  std::ofstream(dir / "idat.png", std::ios::binary) << bytes;
  const std::string e = error_of([&] { read_image(dir / "idat.png"); });
  EXPECT_NE(e.find("idat.png"), std::string::npos) << e;
  EXPECT_NE(e.find("chunk claims"), std::string::npos) << e;
}

// A JPEG whose header claims 16384x16384: stb decodes it (gray) with 1.2 GB.
TEST(Image, ImageOfMoreThan64MegapixelsIsAnErrorNamingTheFile) {
  test::TempDir dir;
  std::string jpg = read_text_file([&] {
    write_jpeg(dir / "small.jpg", test::clip_frame(0));
    return dir / "small.jpg";
  }());
  const size_t sof = jpg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpg.replace(sof + 5, 4, std::string("\x40\x00\x40\x00", 4));  // height, width 16384
  std::ofstream(dir / "huge.jpg", std::ios::binary) << jpg;
  const std::string e = error_of([&] { read_image(dir / "huge.jpg"); });
  EXPECT_NE(e.find("huge.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("16384x16384"), std::string::npos) << e;
}

TEST(Image, EncodingAnEmptyImageIsAnError) {
  EXPECT_THROW(encode_png(Image()), Error);
  Image bad(4, 4);
  bad.rgb.resize(5);
  EXPECT_THROW(encode_jpeg(bad), Error);
}

}  // namespace
}  // namespace avr
