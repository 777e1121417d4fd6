// Where a dataset in the original layout keeps its files:
//   <root>/splits/<name>_{train,val,test}.csv   (or any split CSV path)
//   <audio_root>/<class>/<id>.wav               mono, 11025 Hz
//   <frames_root>/<class>/<id>.mp4/000001.jpg   8 fps, 1-based
// and the clip the original takes from it (ORIGINAL.md, "Data").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "avr/layout/split_csv.h"

namespace avr {

struct DatasetLayout {
  std::filesystem::path audio_root;
  std::filesystem::path frames_root;
  double fps = 8.0;
  int sample_rate = 11025;

  // The embedded/extracted convention: <root>/audio, <root>/frames.
  static DatasetLayout under(const std::filesystem::path& root);

  std::filesystem::path audio_path(const SplitRow& row) const;
  // 1-based frame index, six digits: 000001.jpg
  std::filesystem::path frame_path(const SplitRow& row, int64_t index) const;
};

// The center frame the original uses: frame_count // 2 (1-based file names;
// at least 1).
int64_t center_frame_index(int64_t frame_count);
// First sample of a `length`-sample window centered on frame `index`'s time
// (index - 0.5) / fps; may be negative or run past the end (zero-padded).
int64_t center_window_start(int64_t frame_index, double fps, int sample_rate, int64_t length);

// Sorted class names found in rows (the label order every model uses).
std::vector<std::string> class_names(const std::vector<SplitRow>& rows);

}  // namespace avr
