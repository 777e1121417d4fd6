#include "avr/layout/dataset_layout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace avr {

DatasetLayout DatasetLayout::under(const std::filesystem::path& root) {
  DatasetLayout l;
  l.audio_root = root / "audio";
  l.frames_root = root / "frames";
  return l;
}

namespace {
std::string relative(const std::string& p) {
  const size_t b = p.find_first_not_of('/');
  return b == std::string::npos ? "" : p.substr(b);
}
}  // namespace

std::filesystem::path DatasetLayout::audio_path(const SplitRow& row) const {
  return audio_root / relative(row.audio);
}

std::filesystem::path DatasetLayout::frame_path(const SplitRow& row, int64_t index) const {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.jpg", static_cast<long long>(index));
  return frames_root / relative(row.frames) / name;
}

int64_t center_frame_index(int64_t frame_count) { return std::max<int64_t>(1, frame_count / 2); }

int64_t center_window_start(int64_t frame_index, double fps, int sample_rate, int64_t length) {
  const double t = (static_cast<double>(frame_index) - 0.5) / fps;
  const int64_t center = static_cast<int64_t>(std::llround(t * sample_rate));
  return center - length / 2;
}

std::vector<std::string> class_names(const std::vector<SplitRow>& rows) {
  std::set<std::string> s;
  for (const auto& r : rows) s.insert(r.label());
  return {s.begin(), s.end()};
}

}  // namespace avr
