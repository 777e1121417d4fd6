// File helpers with the guarantees long runs need: writes are atomic (temp
// file in the same folder, fsync, rename) so a killed run never leaves half a
// file where a complete one is expected.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace avr {

namespace fs = std::filesystem;

std::string read_text_file(const fs::path& path);
void write_file_atomic(const fs::path& path, const std::string& bytes);
// For writers that need a path (LibTorch archives, libsndfile): `write` is
// called with a temporary path next to `path`, which is then renamed over it.
void write_atomic_with(const fs::path& path, const std::function<void(const fs::path&)>& write);
void ensure_dir(const fs::path& dir);
void require_file(const fs::path& path, const std::string& what);

}  // namespace avr
