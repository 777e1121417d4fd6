// WAV files through libsndfile: float samples in [-1, 1].
#pragma once

#include <filesystem>
#include <vector>

namespace avr {

struct Audio {
  std::vector<float> samples;  // interleaved when channels > 1
  int sample_rate = 0;
  int channels = 0;
  int64_t frames() const { return channels ? static_cast<int64_t>(samples.size()) / channels : 0; }
};

// Reads any format libsndfile reads; an unreadable file is an error naming it.
Audio read_wav(const std::filesystem::path& path);
// Writes 16-bit PCM WAV (what the original datasets hold), atomically.
// Samples are clipped to [-1, 1].
void write_wav(const std::filesystem::path& path, const Audio& audio);
// Averages channels into one.
Audio to_mono(const Audio& audio);

}  // namespace avr
