// Writing a short video file (a video track from Images, an audio track from
// Audio) with FFmpeg. It exists so tests and synthetic datasets can make real
// videos without FFmpeg headers (avr_media links FFmpeg privately).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "avr/media/image.h"
#include "avr/media/wav.h"

namespace avr {

struct EncodeSettings {
  double fps = 24.0;
  // Any FFmpeg encoder name; "mpeg4" (MPEG-4 Part 2) and "mjpeg" go in
  // .mkv/.avi/.mp4/.mov, "ffv1" (lossless) in .mkv/.avi.
  std::string video_codec = "mpeg4";
  // "" picks pcm_s16le where the container takes it, else aac.
  std::string audio_codec;
  // Fixed quantizer for codecs that use one (mpeg4, mjpeg): 1 (best) .. 31.
  int quality = 2;
  // Display-matrix rotation written into the container (mp4/mov): how many degrees
  // clockwise a player turns the frames (0, 90, 180, 270), as phones record portrait
  // video. The frames themselves are stored as given.
  int display_rotation = 0;
  // Seconds from the first frame to the first audio sample (the audio track's first
  // timestamp), >= 0; as a camera whose sound starts late.
  double audio_start = 0.0;

  void validate() const;
};

// The container follows the extension of `path` (.mkv, .avi, .mp4, .mov, ...).
// All frames must share one size; an empty `audio` writes no audio track.
// Written atomically. Errors name the file and the codec or step that failed.
void write_video(const std::filesystem::path& path, const std::vector<Image>& frames,
                 const Audio& audio, const EncodeSettings& settings = {});

}  // namespace avr
