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

// While one is alive, atomic writes on every thread skip the per-file fsync
// (the rename stays atomic): for bulk writers of files that are cheap to
// regenerate (avr synth writes ~30k frames; an fsync each costs 4-15 ms here).
// They call sync_filesystem() once before writing the file that marks the
// whole output complete.
class BulkWriteScope {
 public:
  BulkWriteScope();
  ~BulkWriteScope();
  BulkWriteScope(const BulkWriteScope&) = delete;
  BulkWriteScope& operator=(const BulkWriteScope&) = delete;
};
// Flushes everything written to the filesystem holding `path` (syncfs).
void sync_filesystem(const fs::path& path);
void require_file(const fs::path& path, const std::string& what);

}  // namespace avr
