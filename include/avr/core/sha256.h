// SHA-256 (FIPS 180-4) of bytes or a file, as lowercase hex: the digests the
// dataset manifest records so a copy can be checked against its generator, and
// the ones every artifact read back is verified with (checkpoints, step records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace avr {

std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::filesystem::path& path);

// Incremental form: update() any number of times, then hex() once.
class Sha256 {
 public:
  void update(const void* data, size_t size);
  std::string hex();

 private:
  void compress(const unsigned char* block);
  uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char block_[64] = {};
  size_t used_ = 0;
  uint64_t length_ = 0;
};

}  // namespace avr
