#include "avr/media/wav.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {
namespace {

uint32_t le32(const unsigned char* b) {
  return b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

// libsndfile reads a WAV cut short without complaint (it trims the data chunk
// to the bytes present), so a half-copied file would pass as a short clip.
// Walks the RIFF chunks and compares the data chunk's declared size with the
// file. Size 0 or 0xFFFFFFFF means "unknown" (streamed writers) and passes.
void check_wav_complete(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char head[12];
  if (!f.read(reinterpret_cast<char*>(head), sizeof head)) return;
  if (std::string(reinterpret_cast<char*>(head), 4) != "RIFF" ||
      std::string(reinterpret_cast<char*>(head) + 8, 4) != "WAVE")
    return;  // RF64, W64 …: left to libsndfile
  const uint64_t file_size = std::filesystem::file_size(path);
  for (uint64_t pos = 12; pos + 8 <= file_size;) {
    unsigned char chunk[8];
    f.seekg(static_cast<std::streamoff>(pos));
    if (!f.read(reinterpret_cast<char*>(chunk), sizeof chunk)) return;
    const uint32_t size = le32(chunk + 4);
    if (std::string(reinterpret_cast<char*>(chunk), 4) == "data") {
      if (size == 0 || size == 0xFFFFFFFFu) return;
      AVR_CHECK(pos + 8 + size <= file_size, "audio file ", path, " is truncated: its data chunk ",
                "declares ", size, " bytes but only ", file_size - pos - 8,
                " are there (re-extract or re-copy it)");
      return;
    }
    pos += 8 + static_cast<uint64_t>(size) + (size & 1);
  }
}

}  // namespace

Audio read_wav(const std::filesystem::path& path) {
  require_file(path, "audio file");
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  AVR_CHECK(f, "cannot read audio ", path, ": ", sf_strerror(nullptr),
            " (expected a WAV file; re-extract it with `avr extract`)");
  if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV) {
    try {
      check_wav_complete(path);
    } catch (...) {
      sf_close(f);
      throw;
    }
  }
  Audio a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  a.samples.resize(static_cast<size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f, a.samples.data(), info.frames);
  sf_close(f);
  AVR_CHECK(got == info.frames, "audio file ", path, " is truncated: read ", got, " of ",
            info.frames, " frames");
  // Integer PCM always reads into [-1, 1); a float WAV can hold anything. A sample
  // beyond full scale is not a waveform avr's models or attacks are defined on, and
  // clipping it would change the clip silently: refuse the file instead.
  float peak = 0.0f;
  for (float v : a.samples) {
    AVR_CHECK(std::isfinite(v), "audio file ", path, " holds a non-finite sample (NaN or inf)",
              "; re-export it");
    peak = std::max(peak, std::abs(v));
  }
  AVR_CHECK(peak <= 1.0f, "audio file ", path, " has samples up to ", peak,
            " in magnitude, beyond full scale [-1, 1] (a float WAV); avr reads waveforms in [-1, 1]: "
            "rescale it (e.g. `sox --norm=-0.1 in.wav out.wav`) or re-extract it with `avr extract`");
  return a;
}

void write_wav(const std::filesystem::path& path, const Audio& audio) {
  AVR_CHECK(audio.sample_rate > 0 && audio.channels > 0, "write_wav ", path,
            ": sample rate and channels must be positive");
  std::vector<float> clipped(audio.samples);
  for (float& s : clipped) s = std::clamp(s, -1.0f, 1.0f);
  write_atomic_with(path, [&](const std::filesystem::path& tmp) {
    SF_INFO info{};
    info.samplerate = audio.sample_rate;
    info.channels = audio.channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
    AVR_CHECK(f, "cannot write ", tmp, ": ", sf_strerror(nullptr));
    const sf_count_t n = audio.frames();
    const sf_count_t put = sf_writef_float(f, clipped.data(), n);
    sf_close(f);
    AVR_CHECK(put == n, "cannot write ", tmp, " (disk full?)");
  });
}

Audio to_mono(const Audio& audio) {
  if (audio.channels == 1) return audio;
  Audio m;
  m.sample_rate = audio.sample_rate;
  m.channels = 1;
  const int64_t n = audio.frames();
  m.samples.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    float s = 0;
    for (int c = 0; c < audio.channels; ++c) s += audio.samples[i * audio.channels + c];
    m.samples[i] = s / audio.channels;
  }
  return m;
}

}  // namespace avr
