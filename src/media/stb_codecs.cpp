// Debian's stb_image (JPEG and PNG decoding) and stb_image_write (encoding), compiled
// once, for image.cpp. Third-party code in a file of its own, so that the sanitized
// builds' exceptions for it (CMakeLists.txt, fuzz/CMakeLists.txt) cover nothing of avr's:
//  - stb_image_write's JPEG encoder shifts a negative int left (stbiw__jpg_writeBits:
//    bitBuf <<= 8 once bit 31 is set): undefined in C++17, two's complement in C++20 and
//    in GCC and clang alike; the bits shifted out are meant to be discarded.
//  - stb_image's JPEG bit reader lets its bit count go negative on corrupt Huffman data
//    and then shifts by 24 − count ≥ 32 (stbi__grow_buffer_unsafe; fuzz_image, 2026-12-02):
//    the shift only feeds garbage bits into its 32-bit buffer, every index made from it is
//    masked, and the decode then fails ("unknown marker"); stb 2.28 stops at the end of the
//    bits instead. A UBSan finding, not a memory error.
// So shift checks are off for this file alone; every other check stays on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop
