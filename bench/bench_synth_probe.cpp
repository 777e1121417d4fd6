// Is the embedded dataset in the paper's regime? Linear probes (softmax
// regression) on simple features of what the models see (DATASET.md):
// audio = log band energies of the centered window, visual = colour histogram
// of the center crop of the center frame, both = the two concatenated. The
// regime: audio and visual each clearly imperfect, both clearly better.
//   bench_synth_probe [DATASET_DIR]   (default: generates the default profile
//                                      into a temporary folder, seed 1)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include "avr/core/fs.h"
#include "avr/core/timer.h"
#include "avr/layout/dataset_layout.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "avr/report/spectrogram.h"
#include "avr/synth/generator.h"
#include "avr/synth/manifest.h"

using namespace avr;
using Features = std::vector<std::vector<float>>;

namespace {

// Mean and std over time of 32 log-spaced band log-energies (60 Hz .. 5.4 kHz).
std::vector<float> audio_features(const std::vector<float>& w, int sample_rate) {
  const int n = 512, bands = 32;
  Audio a;
  a.sample_rate = sample_rate;
  a.channels = 1;
  a.samples = w;
  SpectrogramSettings ss;
  ss.n_fft = n;
  ss.hop = 256;
  const Spectrogram spec = compute_spectrogram(a, ss);  // periodic Hann, as the probe needs
  std::vector<std::vector<double>> frames;
  for (int t = 0; t < spec.frames; ++t) {
    std::vector<double> e(bands, 1e-10);
    for (int k = 1; k < n / 2; ++k) {
      const double hz = static_cast<double>(k) * sample_rate / n;
      const int b = static_cast<int>(std::floor(bands * std::log(hz / 60.0) / std::log(90.0)));
      if (b >= 0 && b < bands) e[b] += static_cast<double>(spec.at(t, k)) * spec.at(t, k);
    }
    for (auto& v : e) v = std::log(v);
    frames.push_back(e);
  }
  std::vector<float> f(2 * bands, 0.0f);
  for (int b = 0; b < bands; ++b) {
    double m = 0, m2 = 0;
    for (const auto& e : frames) m += e[b], m2 += e[b] * e[b];
    m /= frames.size();
    f[b] = static_cast<float>(m);
    f[bands + b] = static_cast<float>(std::sqrt(std::max(0.0, m2 / frames.size() - m * m)));
  }
  return f;
}

// sqrt of a 4x4x4 colour histogram of the centered size x size crop.
std::vector<float> visual_features(const Image& im, int size) {
  std::vector<float> h(64, 0.0f);
  const int x0 = (im.width - size) / 2, y0 = (im.height - size) / 2;
  for (int y = y0; y < y0 + size; ++y)
    for (int x = x0; x < x0 + size; ++x) {
      const uint8_t* p = im.at(x, y);
      h[(p[0] / 64) * 16 + (p[1] / 64) * 4 + p[2] / 64] += 1.0f;
    }
  for (auto& v : h) v = std::sqrt(v / (size * size));
  return h;
}

struct Split {
  Features audio, visual, both;
  std::vector<int> labels;
};

Split load(const std::filesystem::path& root, const std::string& split, const DatasetManifest& m,
           const std::vector<std::string>& classes) {
  const auto rows = read_split_csv(split_file(root, split));
  const DatasetLayout layout = DatasetLayout::under(root);
  Split s;
  for (const auto& r : rows) {
    const Audio a = read_wav(layout.audio_path(r));
    const int64_t c = center_frame_index(r.frame_count);
    const int64_t start = center_window_start(c, m.fps, m.sample_rate, m.audio_length);
    std::vector<float> w(m.audio_length, 0.0f);
    for (int64_t i = 0; i < m.audio_length; ++i)
      if (start + i >= 0 && start + i < a.frames()) w[i] = a.samples[start + i];
    s.audio.push_back(audio_features(w, m.sample_rate));
    s.visual.push_back(visual_features(read_image(layout.frame_path(r, c)), m.image_size));
    auto both = s.audio.back();
    both.insert(both.end(), s.visual.back().begin(), s.visual.back().end());
    s.both.push_back(both);
    s.labels.push_back(static_cast<int>(
        std::find(classes.begin(), classes.end(), r.label()) - classes.begin()));
  }
  return s;
}

// Softmax regression on standardized features, full-batch gradient descent
// with momentum and a little L2; returns test accuracy.
double probe(Features train, const std::vector<int>& ytr, Features test,
             const std::vector<int>& yte, int classes) {
  const size_t d = train[0].size();
  std::vector<double> mean(d, 0), sd(d, 0);
  for (const auto& x : train)
    for (size_t j = 0; j < d; ++j) mean[j] += x[j] / train.size();
  for (const auto& x : train)
    for (size_t j = 0; j < d; ++j) sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / train.size();
  for (auto* set : {&train, &test})
    for (auto& x : *set)
      for (size_t j = 0; j < d; ++j)
        x[j] = static_cast<float>((x[j] - mean[j]) / std::sqrt(sd[j] + 1e-12));
  std::vector<double> W((d + 1) * classes, 0.0), V(W.size(), 0.0), G(W.size());
  auto logits = [&](const std::vector<float>& x, std::vector<double>& z) {
    for (int c = 0; c < classes; ++c) {
      double s = W[d * classes + c];
      for (size_t j = 0; j < d; ++j) s += x[j] * W[j * classes + c];
      z[c] = s;
    }
  };
  std::vector<double> z(classes);
  for (int it = 0; it < 400; ++it) {
    std::fill(G.begin(), G.end(), 0.0);
    for (size_t i = 0; i < train.size(); ++i) {
      logits(train[i], z);
      const double mx = *std::max_element(z.begin(), z.end());
      double sum = 0;
      for (auto& v : z) sum += (v = std::exp(v - mx));
      for (int c = 0; c < classes; ++c) {
        const double g = (z[c] / sum - (c == ytr[i])) / train.size();
        for (size_t j = 0; j < d; ++j) G[j * classes + c] += g * train[i][j];
        G[d * classes + c] += g;
      }
    }
    for (size_t k = 0; k < W.size(); ++k) {
      V[k] = 0.9 * V[k] - 0.5 * (G[k] + 1e-3 * W[k]);
      W[k] += V[k];
    }
  }
  int right = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    logits(test[i], z);
    right += std::max_element(z.begin(), z.end()) - z.begin() == yte[i];
  }
  return static_cast<double>(right) / test.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path root;
  std::filesystem::path temp;
  if (argc > 1) {
    root = argv[1];
  } else {
    temp = std::filesystem::temp_directory_path() / "avr_bench_synth_probe";
    SynthRequest req;
    req.profile = profile_by_name("default");
    req.out = root = temp;
    req.force = true;
    Timer t;
    const auto r = generate_dataset(req);
    std::printf("generated the default profile: %lld clips in %.1f s with %d threads\n",
                static_cast<long long>(r.clips), t.seconds(), r.jobs);
  }
  const DatasetManifest m = read_manifest(root / "manifest.json");
  const std::vector<std::string> classes = m.settings.classes;
  Timer t;
  const Split tr = load(root, "train", m, classes), te = load(root, "test", m, classes);
  std::printf("features of %zu train / %zu test clips in %.1f s\n", tr.labels.size(),
              te.labels.size(), t.seconds());
  const int k = static_cast<int>(classes.size());
  const double a = probe(tr.audio, tr.labels, te.audio, te.labels, k);
  const double v = probe(tr.visual, tr.labels, te.visual, te.labels, k);
  const double av = probe(tr.both, tr.labels, te.both, te.labels, k);
  std::printf("linear probe test accuracy (chance %.2f): audio %.3f  visual %.3f  both %.3f\n",
              1.0 / k, a, v, av);
  std::printf("both / best single modality: %.2f\n", av / std::max(a, v));
  if (!temp.empty()) std::filesystem::remove_all(temp);
  return 0;
}
