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
  int w = 0, h = 0, c = 0;
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
