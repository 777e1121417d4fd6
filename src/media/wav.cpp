#include "avr/media/wav.h"

#include <sndfile.h>

#include <algorithm>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {

Audio read_wav(const std::filesystem::path& path) {
  require_file(path, "audio file");
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  AVR_CHECK(f, "cannot read audio ", path, ": ", sf_strerror(nullptr),
            " (expected a WAV file; re-extract it with `avr extract`)");
  Audio a;
  a.sample_rate = info.samplerate;
  a.channels = info.channels;
  a.samples.resize(static_cast<size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f, a.samples.data(), info.frames);
  sf_close(f);
  AVR_CHECK(got == info.frames, "audio file ", path, " is truncated: read ", got, " of ",
            info.frames, " frames");
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
