#include "avr/layout/extract.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/progress.h"
#include "avr/core/rng.h"
#include "avr/layout/dataset_layout.h"
#include "avr/media/image.h"
#include "avr/media/video_decoder.h"
#include "avr/media/wav.h"

namespace avr {

namespace {
const char* const kSplitNames[3] = {"train", "val", "test"};

DecodeSettings decode_settings(const ExtractSettings& s) {
  DecodeSettings d;
  d.fps = s.fps;
  d.sample_rate = s.sample_rate;
  d.short_side = s.short_side;
  d.require_audio = true;  // a dataset row needs both
  d.max_bad_packets = s.max_bad_packets;
  return d;
}
}  // namespace

void ExtractSettings::validate() const {
  AVR_CHECK(!name.empty() && name.find_first_of("/\\, \t\n") == std::string::npos,
            "dataset name '", name, "' must be non-empty without slashes, commas or spaces");
  decode_settings(*this).validate();
  AVR_CHECK(jpeg_quality >= 1 && jpeg_quality <= 100, "JPEG quality must be in 1..100, got ",
            jpeg_quality);
  double sum = 0;
  for (double r : split) {
    AVR_CHECK(std::isfinite(r) && r >= 0, "split ratios must be >= 0, got ", r);
    sum += r;
  }
  AVR_CHECK(std::abs(sum - 1.0) < 1e-6, "split ratios train,val,test must add up to 1, got ",
            split[0], ",", split[1], ",", split[2]);
  AVR_CHECK(split[0] > 0, "the train split ratio must be positive");
  AVR_CHECK(jobs >= 1, "jobs must be >= 1, got ", jobs);
}

nlohmann::json ExtractSettings::to_json() const {
  return {{"name", name},
          {"fps", fps},
          {"sample_rate", sample_rate},
          {"short_side", short_side},
          {"jpeg_quality", jpeg_quality},
          {"split", split},
          {"seed", seed},
          {"jobs", jobs},
          {"skip_bad", skip_bad},
          {"max_bad_packets", max_bad_packets}};
}

ExtractSettings ExtractSettings::from_json(const nlohmann::json& j) {
  ExtractSettings s;
  s.name = j.value("name", s.name);
  s.fps = j.value("fps", s.fps);
  s.sample_rate = j.value("sample_rate", s.sample_rate);
  s.short_side = j.value("short_side", s.short_side);
  s.jpeg_quality = j.value("jpeg_quality", s.jpeg_quality);
  s.split = j.value("split", s.split);
  s.seed = j.value("seed", s.seed);
  s.jobs = j.value("jobs", s.jobs);
  s.skip_bad = j.value("skip_bad", s.skip_bad);
  s.max_bad_packets = j.value("max_bad_packets", s.max_bad_packets);
  s.validate();
  return s;
}

nlohmann::json ExtractSettings::content_json() const {
  return {{"fps", fps},
          {"sample_rate", sample_rate},
          {"short_side", short_side},
          {"jpeg_quality", jpeg_quality}};
}

std::vector<SourceVideo> find_videos(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  AVR_CHECK(fs::exists(dir), "videos folder not found: ", dir,
            " (expected <videos>/<class>/<video file>)");
  AVR_CHECK(fs::is_directory(dir), "videos folder ", dir, " is not a folder");
  std::vector<SourceVideo> out;
  for (const auto& c : fs::directory_iterator(dir)) {
    const std::string label = c.path().filename().string();
    if (!c.is_directory() || label.empty() || label[0] == '.') continue;
    std::map<std::string, fs::path> seen;
    for (const auto& f : fs::directory_iterator(c.path())) {
      const std::string file = f.path().filename().string();
      if (!f.is_regular_file() || file[0] == '.') continue;
      SourceVideo v{label, f.path().stem().string(), f.path()};
      AVR_CHECK(v.label.find_first_of(",\n\r") == std::string::npos &&
                    v.id.find_first_of(",\n\r") == std::string::npos,
                "video ", f.path(), ": its class or file name holds a comma or line break, "
                "which a split CSV cannot hold; rename it");
      const auto [it, fresh] = seen.emplace(v.id, f.path());
      AVR_CHECK(fresh, "videos ", it->second, " and ", f.path(),
                " would both become id '", v.id, "' in class '", label, "'; rename one");
      out.push_back(std::move(v));
    }
  }
  AVR_CHECK(!out.empty(), "no videos found under ", dir,
            " (expected <videos>/<class>/<video file>, e.g. ", dir / "violin" / "clip1.mp4", ")");
  std::sort(out.begin(), out.end(), [](const SourceVideo& a, const SourceVideo& b) {
    return std::tie(a.label, a.id) < std::tie(b.label, b.id);
  });
  return out;
}

std::vector<int> assign_splits(const std::vector<SourceVideo>& videos,
                               const std::array<double, 3>& ratios, uint64_t seed) {
  std::map<std::string, std::vector<size_t>> by_label;
  for (size_t i = 0; i < videos.size(); ++i) by_label[videos[i].label].push_back(i);
  std::vector<int> split(videos.size(), 0);
  const Rng root(seed);
  for (auto& [label, idx] : by_label) {
    // Sorted first, so the input order never matters.
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return videos[a].id < videos[b].id; });
    Rng rng = root.fork("extract/split/" + label);
    for (size_t i = idx.size(); i > 1; --i)
      std::swap(idx[i - 1], idx[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(i) - 1))]);
    // Largest remainder: the counts add up to n and each is within 1 of n·ratio.
    const auto n = static_cast<int64_t>(idx.size());
    std::array<int64_t, 3> count{};
    std::array<double, 3> frac{};
    int64_t left = n;
    for (int k = 0; k < 3; ++k) {
      const double q = static_cast<double>(n) * ratios[static_cast<size_t>(k)];
      count[static_cast<size_t>(k)] = static_cast<int64_t>(std::floor(q + 1e-9));
      frac[static_cast<size_t>(k)] = q - static_cast<double>(count[static_cast<size_t>(k)]);
      left -= count[static_cast<size_t>(k)];
    }
    for (; left > 0; --left) {
      const auto k = static_cast<size_t>(std::max_element(frac.begin(), frac.end()) - frac.begin());
      ++count[k];
      frac[k] = -1;
    }
    size_t pos = 0;
    for (int k = 0; k < 3; ++k)
      for (int64_t c = 0; c < count[static_cast<size_t>(k)]; ++c) split[idx[pos++]] = k;
  }
  return split;
}

namespace {

struct Outcome {
  int64_t frames = 0;
  bool reused = false;
  std::string error;  // empty: done
};

std::string frame_file(int64_t index) {  // 1-based, as in the original datasets
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.jpg", static_cast<long long>(index));
  return name;
}

// Frames 000001.jpg … 00000N.jpg present in a row; 0 when the first is missing.
int64_t count_frames(const std::filesystem::path& dir) {
  int64_t n = 0;
  while (std::filesystem::is_regular_file(dir / frame_file(n + 1))) ++n;
  return n;
}

// Frames go to a temporary folder that is renamed into place after the wav
// is written, so an existing frames folder means the video is complete.
Outcome extract_one(const SourceVideo& v, const std::filesystem::path& out,
                    const std::filesystem::path& partial_root, const ExtractSettings& s) {
  namespace fs = std::filesystem;
  const DatasetLayout layout = DatasetLayout::under(out);
  SplitRow row;
  row.audio = "/" + v.label + "/" + v.id + ".wav";
  row.frames = "/" + v.label + "/" + v.id + ".mp4";
  const fs::path frames_dir = layout.frame_path(row, 1).parent_path();
  const fs::path wav = layout.audio_path(row);
  Outcome o;
  if (fs::is_directory(frames_dir) && fs::is_regular_file(wav)) {
    o.frames = count_frames(frames_dir);
    if (o.frames > 0) {
      o.reused = true;
      return o;
    }
  }
  const fs::path tmp = partial_root / v.label / (v.id + ".mp4");
  fs::remove_all(tmp);
  ensure_dir(tmp);
  try {
    const Audio audio = decode_video(v.path, decode_settings(s), [&](int64_t i, const Image& im) {
      const auto bytes = encode_jpeg(im, s.jpeg_quality);
      const fs::path p = tmp / frame_file(i + 1);
      std::ofstream f(p, std::ios::binary);
      f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      f.close();
      AVR_CHECK(f, "cannot write ", p, " (disk full?)");
      o.frames = i + 1;
    });
    write_wav(wav, audio);
    fs::remove_all(frames_dir);  // an incomplete folder left by hand
    fs::rename(tmp, frames_dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return o;
}

void write_manifest(const std::filesystem::path& out, const ExtractSettings& s,
                    const nlohmann::json& extra) {
  nlohmann::json j = {{"settings", s.to_json()}, {"content", s.content_json()}};
  j.update(extra);
  write_file_atomic(out / "extract.json", j.dump(2) + "\n");
}

}  // namespace

ExtractReport extract_dataset(const std::filesystem::path& videos_dir,
                              const std::filesystem::path& out, const ExtractSettings& s) {
  namespace fs = std::filesystem;
  s.validate();
  const std::vector<SourceVideo> videos = find_videos(videos_dir);
  const fs::path in_abs = fs::weakly_canonical(videos_dir), out_abs = fs::weakly_canonical(out);
  AVR_CHECK(std::mismatch(in_abs.begin(), in_abs.end(), out_abs.begin(), out_abs.end()).first !=
                in_abs.end(),
            "output folder ", out, " is inside the videos folder ", videos_dir,
            "; its files would be taken for videos. Pick an --out outside it");
  if (fs::exists(out / "extract.json")) {
    const auto old = nlohmann::json::parse(read_text_file(out / "extract.json"), nullptr, false);
    AVR_CHECK(!old.is_discarded() && old.contains("content"), out / "extract.json",
              " is not an extract manifest; pick an empty --out folder");
    AVR_CHECK(old["content"] == s.content_json(), out, " holds videos extracted with ",
              old["content"].dump(), "; re-run with those settings or use a new --out (asked: ",
              s.content_json().dump(), ")");
  }
  write_manifest(out, s, {{"status", "running"}});

  const fs::path partial_root = out / ".partial";
  for (const auto& v : videos) {  // made up front: threads never race to create them
    ensure_dir(out / "frames" / v.label);
    ensure_dir(out / "audio" / v.label);
  }
  std::vector<Outcome> outcomes(videos.size());
  std::atomic<size_t> next{0};
  Progress progress("extract", static_cast<int64_t>(videos.size()), "videos");
  std::atomic<int64_t> failed{0};
  auto work = [&] {
    for (size_t i; (i = next++) < videos.size();) {
      try {
        outcomes[i] = extract_one(videos[i], out, partial_root, s);
      } catch (const std::exception& e) {
        outcomes[i].error = e.what();
        ++failed;
      }
      progress.advance(1, failed ? std::to_string(failed.load()) + " failed" : "");
    }
  };
  std::vector<std::thread> pool;
  const int threads = std::min<int>(s.jobs, static_cast<int>(videos.size()));
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  progress.finish();
  std::error_code ignored;
  fs::remove_all(partial_root, ignored);

  ExtractReport r;
  r.videos = static_cast<int64_t>(videos.size());
  nlohmann::json failures = nlohmann::json::array();
  for (size_t i = 0; i < videos.size(); ++i) {
    const Outcome& o = outcomes[i];
    if (!o.error.empty()) {
      r.failures.push_back({videos[i].label + "/" + videos[i].path.filename().string(), o.error});
      failures.push_back({{"video", r.failures.back().video}, {"error", o.error}});
    } else {
      (o.reused ? r.reused : r.extracted) += 1;
    }
  }
  if (!r.failures.empty() && !s.skip_bad) {
    write_manifest(out, s, {{"status", "failed"}, {"failures", failures}});
    std::string list;
    for (const auto& f : r.failures) list += "\n  " + f.video + ": " + f.error;
    AVR_FAIL(r.failures.size(), " of ", r.videos, " videos failed:", list,
             "\nFix or remove them and re-run (finished videos are kept), or re-run with "
             "--skip-bad to leave them out.");
  }

  const std::vector<int> split = assign_splits(videos, s.split, s.seed);
  std::array<std::vector<SplitRow>, 3> rows;
  for (size_t i = 0; i < videos.size(); ++i) {
    if (!outcomes[i].error.empty()) continue;
    const auto& v = videos[i];
    rows[static_cast<size_t>(split[i])].push_back(
        {"/" + v.label + "/" + v.id + ".wav", "/" + v.label + "/" + v.id + ".mp4", outcomes[i].frames});
    r.frames += outcomes[i].frames;
  }
  for (size_t k = 0; k < 3; ++k) {
    const fs::path p = out / "splits" / (s.name + "_" + kSplitNames[k] + ".csv");
    r.rows[k] = static_cast<int64_t>(rows[k].size());
    if (rows[k].empty()) {
      fs::remove(p, ignored);  // a stale file from an earlier run would lie
      continue;
    }
    write_split_csv(p, rows[k]);
    r.split_files[k] = p;
  }
  write_manifest(out, s,
                 {{"status", "done"},
                  {"videos", r.videos},
                  {"rows", {{"train", r.rows[0]}, {"val", r.rows[1]}, {"test", r.rows[2]}}},
                  {"frames", r.frames},
                  {"skipped", failures}});
  return r;
}

}  // namespace avr
