// 8-bit RGB images and their files (JPEG/PNG through stb_image).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace avr {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
  Image() = default;
  Image(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 0) {}
  uint8_t* at(int x, int y) { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
  const uint8_t* at(int x, int y) const { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
};

// Reads JPEG or PNG (any channel count is converted to RGB); an unreadable or
// corrupt file is an error naming it.
Image read_image(const std::filesystem::path& path);
// The image turned clockwise by `degrees` (0, 90, 180 or 270; others are an error):
// a W×H image turned by 90 or 270 is H×W.
Image rotate_clockwise(const Image& im, int degrees);
// Atomic writes; quality 1..100.
void write_jpeg(const std::filesystem::path& path, const Image& image, int quality = 90);
void write_png(const std::filesystem::path& path, const Image& image);
std::vector<uint8_t> encode_png(const Image& image);
std::vector<uint8_t> encode_jpeg(const Image& image, int quality = 90);

}  // namespace avr
