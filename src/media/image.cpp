#include "avr/media/image.h"

// stb is Debian's libstb: a small, well-tested codec for exactly these two formats.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#include <cstring>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {
namespace {

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  auto* p = static_cast<uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

void check_image(const Image& im, const char* what) {
  AVR_CHECK(im.width > 0 && im.height > 0 &&
                im.rgb.size() == static_cast<size_t>(im.width) * im.height * 3,
            what, ": image must be non-empty RGB (", im.width, "x", im.height, ")");
}

// Debian's stb_image (2022-09) trusts a JPEG's Huffman table sizes: a DHT
// segment whose 16 code-length counts add up to more than 256 makes
// stbi__build_huffman write past its 257-entry size[] array, up to 4080 bytes on
// (UBSan: "index 257 out of bounds for type stbi_uc[257]"; found by
// fuzz/image_fuzz.cpp). stb 2.28 rejects such a table ("bad DHT header"); until
// Debian ships it, avr walks the JPEG's segments as stb does and rejects it first.
// Anything else odd in the marker structure is left for stb to judge.
bool jpeg_huffman_tables_ok(const std::string& b) {
  // Read as stb reads: a byte past the end is 0, a marker is 0xFF (any number
  // of them) and a code, and bytes between segments are skipped until one.
  size_t i = 0;
  auto get8 = [&]() -> uint8_t { return i < b.size() ? static_cast<uint8_t>(b[i++]) : (++i, 0); };
  auto marker = [&]() -> int {
    while (i < b.size() && static_cast<uint8_t>(b[i]) != 0xFF) ++i;
    if (i >= b.size()) return -1;
    uint8_t x = 0xFF;
    while (x == 0xFF && i < b.size()) x = get8();
    return x == 0xFF ? -1 : x;
  };
  if (b.empty() || static_cast<uint8_t>(b[0]) != 0xFF || marker() != 0xD8) return true;  // not a JPEG
  while (i < b.size()) {
    const int m = marker();
    if (m < 0 || m == 0xD9) return true;
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
    const size_t len = size_t{get8()} << 8 | get8();
    if (len < 2) return true;
    const size_t end = i + len - 2;
    if (m == 0xC4) {  // DHT: tables of 1 + 16 + (sum of the counts) bytes
      while (i < end) {
        get8();  // table class and id
        size_t sum = 0;
        for (int k = 0; k < 16; ++k) sum += get8();
        if (sum > 256) return false;
        i += sum;
      }
    }
    i = end;
    if (m == 0xDA)  // SOS: entropy-coded data up to the next marker that is not RSTn
      while (i + 1 < b.size() &&
             !(static_cast<uint8_t>(b[i]) == 0xFF && b[i + 1] != 0 &&
               !(static_cast<uint8_t>(b[i + 1]) >= 0xD0 && static_cast<uint8_t>(b[i + 1]) <= 0xD7)))
        ++i;
  }
  return true;
}

constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// stb_image collects a PNG's IDAT chunks in a buffer it grows to each chunk's
// declared length before reading the chunk: an 8×6 PNG whose IDAT claims 1 GB made
// it ask for 2 GB (found by fuzz/image_fuzz.cpp). A chunk cannot be longer than the
// bytes left in the file; checked here first. Not a PNG: true.
bool png_chunks_fit(const std::string& b, std::string& why) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (b.size() < 8 || b.compare(0, 8, kSignature, 8) != 0) return true;
  size_t i = 8;
  while (i + 8 <= b.size()) {
    const uint32_t len = uint32_t{static_cast<uint8_t>(b[i])} << 24 |
                         uint32_t{static_cast<uint8_t>(b[i + 1])} << 16 |
                         uint32_t{static_cast<uint8_t>(b[i + 2])} << 8 | static_cast<uint8_t>(b[i + 3]);
    const std::string type = b.substr(i + 4, 4);
    if (len > b.size() - i - 8) {
      why = "its " + type + " chunk claims " + std::to_string(len) + " bytes, " +
            std::to_string(b.size() - i - 8) + " are left";
      return false;
    }
    if (type == "IEND") return true;
    i += 12 + size_t{len};  // length, type, data, CRC
  }
  return true;
}

}  // namespace

Image rotate_clockwise(const Image& im, int degrees) {
  AVR_CHECK(degrees == 0 || degrees == 90 || degrees == 180 || degrees == 270,
            "rotate_clockwise: degrees must be 0, 90, 180 or 270, got ", degrees);
  if (degrees == 0) return im;
  const bool swap = degrees != 180;
  Image out(swap ? im.height : im.width, swap ? im.width : im.height);
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      // Where source pixel (x, y) lands after the turn.
      int u = x, v = y;
      if (degrees == 90) u = im.height - 1 - y, v = x;
      if (degrees == 180) u = im.width - 1 - x, v = im.height - 1 - y;
      if (degrees == 270) u = y, v = im.width - 1 - x;
      std::memcpy(out.at(u, v), im.at(x, y), 3);
    }
  return out;
}

Image read_image(const std::filesystem::path& path) {
  require_file(path, "image");
  const std::string bytes = read_text_file(path);
  AVR_CHECK(jpeg_huffman_tables_ok(bytes), "cannot decode image ", path,
            ": a JPEG Huffman table has more than 256 codes (corrupt JPEG)");
  std::string why;
  AVR_CHECK(png_chunks_fit(bytes, why), "cannot decode image ", path, ": ", why,
            " (a truncated or corrupt PNG)");
  int w = 0, h = 0, c = 0;
  // The header's size, before stb allocates for it: stb decodes a 652-byte JPEG
  // whose header claims 16384×16384 (stb's limit) into a gray image, with 1.2 GB
  // resident and 4.5 s (measured, stb_image built alone with gcc -O1).
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &c))
    AVR_CHECK(static_cast<int64_t>(w) * h <= kMaxImagePixels, "image ", path, " is ", w, "x", h,
              " pixels; avr reads images of at most ", kMaxImagePixels >> 20,
              " megapixels (8192x8192): scale it down");
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                            static_cast<int>(bytes.size()), &w, &h, &c, 3);
  AVR_CHECK(px, "cannot decode image ", path, ": ", stbi_failure_reason(),
            " (is it a complete JPEG or PNG?)");
  Image im(w, h);
  std::memcpy(im.rgb.data(), px, im.rgb.size());
  stbi_image_free(px);
  return im;
}

std::vector<uint8_t> encode_png(const Image& image) {
  check_image(image, "encode_png");
  std::vector<uint8_t> out;
  AVR_CHECK(stbi_write_png_to_func(append_bytes, &out, image.width, image.height, 3,
                                   image.rgb.data(), image.width * 3),
            "PNG encoding failed");
  return out;
}

std::vector<uint8_t> encode_jpeg(const Image& image, int quality) {
  check_image(image, "encode_jpeg");
  std::vector<uint8_t> out;
  AVR_CHECK(stbi_write_jpg_to_func(append_bytes, &out, image.width, image.height, 3,
                                   image.rgb.data(), quality),
            "JPEG encoding failed");
  return out;
}

void write_png(const std::filesystem::path& path, const Image& image) {
  const auto bytes = encode_png(image);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void write_jpeg(const std::filesystem::path& path, const Image& image, int quality) {
  const auto bytes = encode_jpeg(image, quality);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace avr
