// SHA-256 against FIPS 180-4's example digests, for bytes and for a file.
#include "avr/core/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "avr/core/error.h"
#include "test_support.h"

namespace avr {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string(1000, 'a')).substr(0, 16), "41edece42d63e8d9");
}

TEST(Sha256, FileDigestEqualsTheBytesDigest) {
  test::TempDir dir;
  std::string bytes(100003, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131) % 251);
  std::ofstream(dir / "f.bin", std::ios::binary) << bytes;
  EXPECT_EQ(sha256_file(dir / "f.bin"), sha256_hex(bytes));
  EXPECT_THROW(sha256_file(dir / "missing.bin"), Error);
}

// Checkpoints hash each tensor in pieces: any split of the bytes gives the same digest.
TEST(Sha256, IncrementalEqualsWholeForAnySplit) {
  std::string bytes(1000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 37) % 253);
  const std::string whole = sha256_hex(bytes);
  for (size_t piece : {1, 7, 63, 64, 65, 200, 999}) {
    Sha256 s;
    for (size_t at = 0; at < bytes.size(); at += piece)
      s.update(bytes.data() + at, std::min(piece, bytes.size() - at));
    EXPECT_EQ(s.hex(), whole) << "pieces of " << piece;
  }
}

}  // namespace
}  // namespace avr
