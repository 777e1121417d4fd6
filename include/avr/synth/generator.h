// `avr synth`: writes a whole embedded dataset in the original layout
//   DIR/audio/<class>/<id>.wav              mono, 16-bit, profile.sample_rate
//   DIR/frames/<class>/<id>.mp4/000001.jpg  profile.frames_per_clip frames
//   DIR/splits/embedded_{train,val,test}.csv
//   DIR/boxes.json     {"frame_width", "frame_height", "format",
//                       "boxes": {"/class/id.mp4": [[x0,y0,x1,y1] per frame, 1-based order]}}
//                      the sounding instrument's box, pixels of the stored frame, x1/y1 exclusive
//   DIR/clips.json     what each clip holds (distractors, levels, noise, background)
//   DIR/manifest.json  written last (see manifest.h)
// Same seed and settings -> the same bytes, for any number of worker threads.
#pragma once

#include <cstdint>
#include <filesystem>

#include "avr/synth/profile.h"

namespace avr {

struct SynthRequest {
  SynthProfile profile;
  uint64_t seed = 1;
  int jobs = 0;  // worker threads; 0: all cores
  std::filesystem::path out;
  bool force = false;                // replace the dataset files of a non-empty `out`
  std::filesystem::path soundfont;   // empty: default_soundfont_path()
  std::filesystem::path emoji_font;  // empty: default_emoji_font_path()
  bool progress = true;
};

struct SynthResult {
  int64_t clips = 0;
  int64_t frames = 0;
  int jobs = 0;
  double seconds = 0;
};

// The split files' names: splits/embedded_<split>.csv.
std::filesystem::path split_file(const std::filesystem::path& root, const std::string& split);

SynthResult generate_dataset(const SynthRequest& request);

}  // namespace avr
