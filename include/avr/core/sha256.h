// SHA-256 (FIPS 180-4) of bytes or a file, as lowercase hex: the digests the
// dataset manifest records so a copy can be checked against its generator.
#pragma once

#include <filesystem>
#include <string>

namespace avr {

std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::filesystem::path& path);

}  // namespace avr
