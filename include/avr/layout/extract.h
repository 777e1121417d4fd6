// From raw videos (<videos>/<class>/<name>.<any ext FFmpeg reads>) to the
// original dataset layout (dataset_layout.h, ORIGINAL.md "Data"): 8 fps JPEG
// frames in frames/<class>/<id>.mp4/, mono 11025 Hz audio/<class>/<id>.wav and
// splits/<name>_{train,val,test}.csv. Resumable: a video counts as done only
// once all its files are in place.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "avr/layout/split_csv.h"

namespace avr {

struct ExtractSettings {
  std::string name = "dataset";  // split files are <name>_{train,val,test}.csv
  double fps = 8.0;
  int sample_rate = 11025;
  int short_side = 0;   // shrink frames so the shorter side is this many px; 0: keep
  int jpeg_quality = 90;
  std::array<double, 3> split = {0.8, 0.1, 0.1};  // train, val, test; per class
  uint64_t seed = 0;
  int jobs = 1;
  bool skip_bad = false;    // leave failed videos out instead of failing the run
  int max_bad_packets = 0;  // corrupt packets tolerated per video

  void validate() const;
  nlohmann::json to_json() const;
  static ExtractSettings from_json(const nlohmann::json& j);
  // The settings that decide a video's files; a resumed run must match them.
  nlohmann::json content_json() const;
};

// A video found under the input folder.
struct SourceVideo {
  std::string label;  // its class folder
  std::string id;     // file name without the extension
  std::filesystem::path path;
};

// Every <class>/<file> (hidden files skipped), sorted by class then id.
// Errors: missing folder, no videos, two files with one id in a class, names
// that cannot go into a split CSV (commas, line breaks).
std::vector<SourceVideo> find_videos(const std::filesystem::path& videos_dir);

// Which split (0 train, 1 val, 2 test) each video goes to: per class, a
// seeded shuffle of the ids cut by largest-remainder rounding of the ratios.
// Depends only on the labels, ids, ratios and seed.
std::vector<int> assign_splits(const std::vector<SourceVideo>& videos,
                               const std::array<double, 3>& ratios, uint64_t seed);

struct ExtractFailure {
  std::string video;  // "<class>/<file name>"
  std::string error;
};

struct ExtractReport {
  int64_t videos = 0;     // found under the input folder
  int64_t extracted = 0;  // decoded in this run
  int64_t reused = 0;     // already complete from an earlier run
  std::vector<ExtractFailure> failures;  // skipped (only returned with skip_bad)
  std::array<int64_t, 3> rows = {0, 0, 0};  // per split
  std::array<std::filesystem::path, 3> split_files;  // empty where a split has no rows
  int64_t frames = 0;  // in all rows
};

// Extracts every video (in parallel, `jobs` threads) and writes the split
// CSVs and <out>/extract.json. Failed videos: with skip_bad they are left out
// and listed in the report; otherwise an error names each of them (the good
// ones stay extracted, so fixing the bad ones and re-running resumes).
ExtractReport extract_dataset(const std::filesystem::path& videos_dir,
                              const std::filesystem::path& out_dir, const ExtractSettings& s);

}  // namespace avr
