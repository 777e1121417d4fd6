// Decoding a video file (any codec FFmpeg reads, in a media container: mp4/mov,
// matroska/webm, avi, flv, mpeg-ts/ps, ogg, asf) into what the original
// datasets hold: RGB frames sampled at a fixed rate (8 fps) and mono audio at a
// fixed sample rate (11025 Hz) — ORIGINAL.md, "Data". Only the named file is
// read: FFmpeg gets the file protocol alone and a whitelist of those
// containers, so a playlist or file list (hls .m3u8, ffconcat) that names other
// files or URLs is an error naming the file and its format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "avr/media/image.h"
#include "avr/media/wav.h"

namespace avr {

struct DecodeSettings {
  // Output frame rate: tick k at time k / fps (from the file's start) takes
  // the source frame whose timestamp is nearest (ties: the earlier frame).
  double fps = 8.0;
  // Output audio rate; every source channel is averaged into one.
  int sample_rate = 11025;
  // Shrink frames so the shorter side is this many pixels (aspect kept,
  // never enlarged); 0 keeps the source size.
  int short_side = 0;
  bool video = true;  // false: skip video decoding (audio only)
  bool audio = true;  // false: skip audio decoding
  // A file without an audio stream is an error (datasets need both).
  bool require_audio = false;
  // Packets the decoder may reject before the file counts as undecodable.
  // 0: any corrupt packet is an error (nothing is silently dropped).
  int max_bad_packets = 0;

  void validate() const;
};

// What was found in the file and what came out.
struct VideoInfo {
  std::string container;    // e.g. "matroska,webm"
  std::string video_codec;  // e.g. "mpeg4"
  std::string audio_codec;  // "" when the file has no audio stream
  int source_width = 0, source_height = 0;
  int width = 0, height = 0;  // of the frames handed out (after short_side and rotation)
  // Degrees (0, 90, 180, 270) the frames were turned clockwise, as the stream's
  // display matrix asks players to; frames are handed out as displayed.
  int rotation = 0;
  double source_fps = 0.0;    // the stream's average rate (0 if unknown)
  double duration_s = 0.0;    // of the sampled video: last frame's end - start
  int64_t source_frames = 0;  // frames the decoder produced
  int64_t frames = 0;         // frames handed out at DecodeSettings::fps
  int source_sample_rate = 0;
  int source_channels = 0;
  int bad_packets = 0;  // packets rejected (≤ max_bad_packets)
  bool has_audio() const { return !audio_codec.empty(); }
};

// Called once per output frame, in order; index is 0-based.
using FrameSink = std::function<void(int64_t index, const Image& frame)>;

// Streams frames to `on_frame` (so long videos never sit in memory) and
// returns the audio (empty when the file has none or settings.audio is off).
// Errors name the file and what failed: missing, not a media file, no video
// stream, no decoder, corrupt packets, no frames.
Audio decode_video(const std::filesystem::path& path, const DecodeSettings& settings,
                   const FrameSink& on_frame, VideoInfo* info = nullptr);

// Everything in memory: for short clips and tests.
struct DecodedVideo {
  VideoInfo info;
  std::vector<Image> frames;
  Audio audio;
};
DecodedVideo read_video(const std::filesystem::path& path, const DecodeSettings& settings = {});

}  // namespace avr
