// Helpers shared by the test binaries: a fresh temporary folder per test and a
// way to run the real `avr` binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "avr/models/av_model.h"
#include "avr/synth/profile.h"

namespace avr::dist {
class ProcessGroup;
}

namespace avr::test {

// A new empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs `avr <args>` (a shell-quoted string) and captures what it printed.
CommandResult run_avr(const std::string& args);
CommandResult run_shell(const std::string& command);

std::filesystem::path source_dir();

// What `f` threw as an avr::Error (its message), or "(no error)" when it threw nothing.
std::string error_of(const std::function<void()>& f);

// A very small embedded dataset in `out`: the tiny profile with the fewest
// classes the recipe allows (4: target, audio and 2 visual distractors) and
// 4/2/`test_clips` train/val/test clips. Returns the profile it used (class
// names, input sizes).
SynthProfile generate_small_dataset(const std::filesystem::path& out, int64_t test_clips = 4);

// An untrained audio-visual Concat model for `profile`'s inputs and classes, saved
// to `checkpoint` with the class names as `avr train` saves them, and returned.
// With `varied_stats_seed`: the model's init seed, and its batch norm running
// statistics drawn (from that seed) away from their identity defaults, so a model
// whose normalization is lost (an export, a reload) gives other numbers.
AvModel save_untrained_concat(const std::filesystem::path& checkpoint, const SynthProfile& profile,
                              std::optional<uint64_t> varied_stats_seed = std::nullopt);

// An untrained localizer for `profile`'s audio and classes at `image_size` px, saved like
// save_untrained_concat.
void save_untrained_localizer(const std::filesystem::path& checkpoint, const SynthProfile& profile,
                              int64_t image_size = 64);

// `j` without its "seconds" fields, at any depth (wall-clock times differ run to run).
nlohmann::json without_seconds(nlohmann::json j);

// Runs `body(group)` on `n` ranks over loopback (c10d TCPStore + Gloo), each on its
// own thread of this process; rethrows the first rank's error once all have ended.
void on_ranks(int n, const std::function<void(dist::ProcessGroup&)>& body);

}  // namespace avr::test
