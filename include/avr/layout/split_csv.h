// The split files of the original datasets (MIT-MUSIC, Kinetics-Sounds, AVE):
// one clip a row, `/class/id.wav,/class/id.mp4,frame_count`, paths relative to
// an audio root and a frames root; the class is the first path component.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace avr {

struct SplitRow {
  std::string audio;    // "/class/id.wav", relative to the audio root
  std::string frames;   // "/class/id.mp4", a folder under the frames root
  int64_t frame_count = 0;
  std::string label() const;  // the first path component of `audio`
};

// Errors name the file and the 1-based row: wrong field count, empty path,
// non-numeric or non-positive frame count, audio/frames of different classes.
std::vector<SplitRow> read_split_csv(const std::filesystem::path& path);
void write_split_csv(const std::filesystem::path& path, const std::vector<SplitRow>& rows);

}  // namespace avr
