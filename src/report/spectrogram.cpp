#include "avr/report/spectrogram.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "avr/core/error.h"

// The FFT is written here rather than taken from a library: it is ~25 lines,
// display-only, checked against a pure tone's exact magnitude in the tests,
// and it keeps the report module free of FFTW/FFmpeg link dependencies.
namespace avr {
namespace {

// In-place iterative radix-2 Cooley–Tukey; size must be a power of two.
void fft(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double ang = -2 * M_PI / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> w(1);
      for (size_t k = 0; k < len / 2; ++k, w *= wl) {
        const auto u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

}  // namespace

void SpectrogramSettings::validate() const {
  AVR_CHECK(n_fft >= 16 && n_fft <= 65536 && (n_fft & (n_fft - 1)) == 0,
            "spectrogram n_fft must be a power of two in [16, 65536], got ", n_fft);
  AVR_CHECK(hop >= 1 && hop <= n_fft, "spectrogram hop must be in [1, n_fft], got ", hop);
  AVR_CHECK(std::isfinite(top_db) && top_db > 0, "spectrogram top_db must be > 0, got ", top_db);
}

float Spectrogram::max_magnitude() const {
  return magnitude.empty() ? 0.f : *std::max_element(magnitude.begin(), magnitude.end());
}

double Spectrogram::bin_hz(int bin) const {
  return bins > 1 ? bin * (sample_rate / 2.0) / (bins - 1) : 0.0;
}

Spectrogram compute_spectrogram(const Audio& audio, const SpectrogramSettings& settings) {
  settings.validate();
  AVR_CHECK(audio.channels >= 1 && audio.sample_rate > 0,
            "spectrogram: audio has ", audio.channels, " channels at ", audio.sample_rate, " Hz");
  const Audio mono = audio.channels == 1 ? audio : to_mono(audio);
  const int64_t n = mono.frames();
  AVR_CHECK(n >= settings.n_fft, "spectrogram: the clip has ", n, " samples, fewer than n_fft = ",
            settings.n_fft, "; use a smaller n_fft");
  for (size_t i = 0; i < mono.samples.size(); ++i)
    AVR_CHECK(std::isfinite(mono.samples[i]), "spectrogram: sample ", i, " is not finite");
  Spectrogram s;
  s.frames = static_cast<int>(1 + (n - settings.n_fft) / settings.hop);
  s.bins = settings.n_fft / 2 + 1;
  s.sample_rate = mono.sample_rate;
  s.magnitude.resize(static_cast<size_t>(s.frames) * s.bins);
  std::vector<double> window(settings.n_fft);  // periodic Hann
  for (int i = 0; i < settings.n_fft; ++i)
    window[i] = 0.5 - 0.5 * std::cos(2 * M_PI * i / settings.n_fft);
  std::vector<std::complex<double>> buf(settings.n_fft);
  for (int f = 0; f < s.frames; ++f) {
    const size_t start = static_cast<size_t>(f) * settings.hop;
    for (int i = 0; i < settings.n_fft; ++i) buf[i] = mono.samples[start + i] * window[i];
    fft(buf);
    for (int b = 0; b < s.bins; ++b)
      s.magnitude[static_cast<size_t>(f) * s.bins + b] = static_cast<float>(std::abs(buf[b]));
  }
  return s;
}

Image spectrogram_image(const Spectrogram& spec, const SpectrogramSettings& settings,
                        std::optional<float> reference) {
  settings.validate();
  AVR_CHECK(spec.frames > 0 && spec.bins > 0 &&
                spec.magnitude.size() == static_cast<size_t>(spec.frames) * spec.bins,
            "spectrogram_image: empty or inconsistent spectrogram");
  AVR_CHECK(!reference || (std::isfinite(*reference) && *reference >= 0),
            "spectrogram_image: reference must be a finite magnitude >= 0");
  const double ref = reference.value_or(spec.max_magnitude());
  const double floor_db = -settings.top_db;
  Image out(spec.frames, spec.bins);
  for (int f = 0; f < spec.frames; ++f)
    for (int b = 0; b < spec.bins; ++b) {
      const double m = spec.at(f, b);
      // Silence (or a silent reference) sits at the floor instead of -inf dB.
      const double db = m > 0 && ref > 0 ? std::max(floor_db, 20 * std::log10(m / ref)) : floor_db;
      const Rgb c = colormap(settings.colormap, (db - floor_db) / settings.top_db);
      uint8_t* p = out.at(f, spec.bins - 1 - b);
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
  return out;
}

}  // namespace avr
