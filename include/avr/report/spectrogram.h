// Short-time magnitude spectra of a waveform and their picture, to show next
// to the audio players where an adversarial perturbation sits in time and
// frequency. Display only: the models never see these.
#pragma once

#include <optional>
#include <vector>

#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "avr/report/colormap.h"

namespace avr {

struct SpectrogramSettings {
  int n_fft = 512;       // window length, a power of two
  int hop = 128;         // samples between windows
  double top_db = 80;    // dynamic range shown below the reference level
  Colormap colormap = Colormap::viridis;
  void validate() const;
};

struct Spectrogram {
  int frames = 0, bins = 0;  // bins = n_fft/2 + 1, from 0 Hz to Nyquist
  int sample_rate = 0;
  std::vector<float> magnitude;  // frame-major: magnitude[frame * bins + bin], linear
  float at(int frame, int bin) const { return magnitude[static_cast<size_t>(frame) * bins + bin]; }
  float max_magnitude() const;
  double bin_hz(int bin) const;
};

// Hann-windowed STFT without padding (frames = 1 + (n − n_fft) / hop); stereo is
// averaged to mono. A clip shorter than one window is an error.
Spectrogram compute_spectrogram(const Audio& audio, const SpectrogramSettings& settings = {});

// dB relative to `reference` (the spectrogram's own maximum when empty),
// floored at −top_db and colored; low frequencies at the bottom. Pass the
// clean clip's max_magnitude() for its adversarial twin so equal colors mean
// equal levels in both pictures.
Image spectrogram_image(const Spectrogram& spec, const SpectrogramSettings& settings = {},
                        std::optional<float> reference = std::nullopt);

}  // namespace avr
