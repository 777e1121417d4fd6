#include "avr/media/image.h"

// stb is Debian's libstb: a small, well-tested codec for exactly these two formats,
// compiled in stb_codecs.cpp (its sanitizer exceptions stay there).
#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

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

uint8_t byte_at(const std::string& b, size_t i) { return i < b.size() ? static_cast<uint8_t>(b[i]) : 0; }

// Walks a JPEG's segments as stb_image reads them: a byte past the end is 0, a
// marker is 0xFF (any number of them) and a code, bytes between segments are
// skipped until one, and an SOS segment's entropy-coded data runs to the next
// marker that is not RSTn. Calls visit(marker, begin, end) with each segment's
// payload [begin, end) (end may lie past the file: those bytes read as 0) until
// visit returns false or EOI comes. Not a JPEG: no call. Anything odd in the
// marker structure ends the walk and is left for stb to judge.
template <typename Visit>
void for_each_jpeg_segment(const std::string& b, Visit&& visit) {
  size_t i = 0;
  auto marker = [&]() -> int {
    while (i < b.size() && static_cast<uint8_t>(b[i]) != 0xFF) ++i;
    if (i >= b.size()) return -1;
    uint8_t x = 0xFF;
    while (x == 0xFF && i < b.size()) x = byte_at(b, i++);
    return x == 0xFF ? -1 : x;
  };
  if (b.empty() || static_cast<uint8_t>(b[0]) != 0xFF || marker() != 0xD8) return;
  while (i < b.size()) {
    const int m = marker();
    if (m < 0 || m == 0xD9) return;
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
    const size_t len = size_t{byte_at(b, i)} << 8 | byte_at(b, i + 1);
    i += 2;
    if (len < 2) return;
    const size_t end = i + len - 2;
    if (!visit(m, i, end)) return;
    i = end;
    if (m == 0xDA)
      while (i + 1 < b.size() && !(static_cast<uint8_t>(b[i]) == 0xFF && b[i + 1] != 0 &&
                                   !(byte_at(b, i + 1) >= 0xD0 && byte_at(b, i + 1) <= 0xD7)))
        ++i;
  }
}

// Debian's stb_image (2022-09) trusts a JPEG's Huffman table sizes: a DHT
// segment whose 16 code-length counts add up to more than 256 makes
// stbi__build_huffman write past its 257-entry size[] array, up to 4080 bytes on
// (UBSan: "index 257 out of bounds for type stbi_uc[257]"; found by
// fuzz/image_fuzz.cpp). stb 2.28 rejects such a table ("bad DHT header"); until
// Debian ships it, avr rejects it first. The tables of one DHT payload [i, end),
// read as stb reads them: false if one is too large.
bool dht_tables_ok(const std::string& b, size_t i, size_t end) {
  while (i < end) {
    const uint8_t q = byte_at(b, i++);                // table class and id
    if (q >> 4 > 1 || (q & 15) > 3) return true;      // stb refuses it before building it
    size_t sum = 0;
    for (int k = 0; k < 16; ++k) sum += byte_at(b, i++);
    if (sum > 256) return false;
    i += sum;
  }
  return true;
}

// What read_image checks in a JPEG's bytes before stb decodes them.
struct JpegStructure {
  bool huffman_tables_ok = true;  // no DHT stb may build has more than 256 codes
  bool has_end = true;            // EOI comes after the first scan
};

// Every DHT stb may build. Up to the first scan, stb reads the segments the walk
// reads. After it, where stb goes depends on how much scan data it decodes: once a
// scan's blocks are done it takes the byte after the next 0xFF as a marker, and it
// reads 0xFF 0xFF… 0x00 inside scan data as data (fuzz_image, 2026-12-02: a DHT the
// walk had skipped as scan data). No walk can follow that without decoding, so from
// the first scan to the first EOI every 0xFF 0xC4 is checked as a DHT; whole JPEGs
// have none there but their real DHTs (in scan data, 0xFF is followed by 0x00 or RSTn,
// ITU-T T.81 B.1.1.5).
// The end: stb decodes a JPEG whose scan data stops short as if the rest were zero
// bits (blocks of gray, no error; libjpeg too, with a warning), so a truncated frame
// would pass as a whole one. Every whole JPEG ends with EOI (0xFF 0xD9) after its
// scans; a JPEG without one after its first scan is refused.
// Not a JPEG, or no scan: both true.
JpegStructure check_jpeg_structure(const std::string& b) {
  JpegStructure r;
  size_t first_scan = std::string::npos;
  for_each_jpeg_segment(b, [&](int m, size_t i, size_t end) {
    if (m == 0xC4 && !dht_tables_ok(b, i, end)) return r.huffman_tables_ok = false;
    if (m == 0xDA) first_scan = end;  // the rest: below
    return m != 0xDA;
  });
  if (!r.huffman_tables_ok || first_scan == std::string::npos) return r;
  r.has_end = false;
  for (size_t i = first_scan; i + 1 < b.size(); ++i) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) continue;
    const uint8_t m = byte_at(b, i + 1);
    if (m == 0xD9) {
      r.has_end = true;
      break;
    }
    if (m != 0xC4) continue;
    const size_t len = size_t{byte_at(b, i + 2)} << 8 | byte_at(b, i + 3);
    if (len >= 2 && !dht_tables_ok(b, i + 4, i + 4 + len - 2)) {
      r.huffman_tables_ok = false;
      break;
    }
  }
  return r;
}

// The fewest bytes a complete JPEG with this frame header can have. Every 8×8
// block of every component spends at least one bit on its DC coefficient's
// Huffman code (ITU-T T.81: codes are 1 to 16 bits long), in a baseline scan
// (which then needs an end-of-block code too) or a progressive DC scan; so the
// entropy-coded data alone holds at least blocks / 8 bytes. stb would decode a
// shorter file in full from padding (a 4 KB file claiming 8192×8192: 64 MP of
// gray, then an error), so such a file is refused before it is decoded.
// 0: not a JPEG, or no frame header stb decodes (SOF0–2), or one it rejects.
uint64_t jpeg_least_bytes(const std::string& b) {
  uint64_t blocks = 0;
  for_each_jpeg_segment(b, [&](int m, size_t i, size_t) {
    if (m != 0xC0 && m != 0xC1 && m != 0xC2) return true;
    const uint64_t height = uint64_t{byte_at(b, i + 1)} << 8 | byte_at(b, i + 2);
    const uint64_t width = uint64_t{byte_at(b, i + 3)} << 8 | byte_at(b, i + 4);
    const int components = byte_at(b, i + 5);
    std::vector<std::pair<uint64_t, uint64_t>> sampling;  // H, V of each component
    uint64_t h_max = 1, v_max = 1;
    for (int k = 0; k < components; ++k) {
      const uint8_t hv = byte_at(b, i + 6 + 3 * k + 1);
      const uint64_t h = hv >> 4, v = hv & 15;
      if (h < 1 || h > 4 || v < 1 || v > 4) return false;  // stb rejects it
      sampling.emplace_back(h, v);
      h_max = std::max(h_max, h), v_max = std::max(v_max, v);
    }
    auto ceil_div = [](uint64_t a, uint64_t d) { return (a + d - 1) / d; };
    for (const auto& [h, v] : sampling)
      blocks += ceil_div(ceil_div(width * h, h_max), 8) * ceil_div(ceil_div(height * v, v_max), 8);
    return false;
  });
  return blocks / 8;
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
  const JpegStructure jpeg = check_jpeg_structure(bytes);
  AVR_CHECK(jpeg.huffman_tables_ok, "cannot decode image ", path,
            ": a JPEG Huffman table has more than 256 codes (corrupt JPEG)");
  AVR_CHECK(jpeg.has_end, "cannot decode image ", path,
            ": its JPEG data stops before the end-of-image marker (a truncated JPEG)");
  std::string why;
  AVR_CHECK(png_chunks_fit(bytes, why), "cannot decode image ", path, ": ", why,
            " (a truncated or corrupt PNG)");
  int w = 0, h = 0, c = 0;
  // The header's size, before stb allocates for it: stb decodes a 652-byte JPEG
  // whose header claims 16384×16384 (stb's limit) into a gray image, with 1.2 GB
  // resident and 4.5 s (measured, stb_image built alone with gcc -O1).
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &c)) {
    AVR_CHECK(static_cast<int64_t>(w) * h <= kMaxImagePixels, "image ", path, " is ", w, "x", h,
              " pixels; avr reads images of at most ", kMaxImagePixels >> 20,
              " megapixels (8192x8192): scale it down");
    // Half the least a JPEG needs: a margin, so that only what cannot be whole is refused.
    const uint64_t least = jpeg_least_bytes(bytes);
    AVR_CHECK(2 * bytes.size() >= least, "cannot decode image ", path, ": its header claims ", w, "x", h,
              " pixels, and a JPEG that size needs at least ", least,
              " bytes for its 8x8 blocks, but the file has ", bytes.size(), " (a truncated or corrupt JPEG)");
  }
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
