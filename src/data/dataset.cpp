#include "avr/data/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"
#include "avr/layout/split_csv.h"

namespace avr {

namespace fs = std::filesystem;

fs::path shipped_splits_dir() {
  if (const char* env = std::getenv("AVR_DATA_DIR")) return fs::path(env) / "splits";
  return fs::path(AVR_SOURCE_DATA_DIR) / "splits";
}

void DatasetSpec::validate() const {
  AVR_CHECK(!name.empty(), "dataset name is empty: use embedded, music, kinetics or ave");
  AVR_CHECK(!root.empty() || (!audio_root.empty() && !frames_root.empty()),
            "dataset '", name, "': give --data-root (or both --audio-root and --frames-root)");
}

DatasetSpec DatasetSpec::resolved() const {
  validate();
  DatasetSpec r = *this;
  if (r.audio_root.empty()) r.audio_root = root / "audio";
  if (r.frames_root.empty()) r.frames_root = root / "frames";
  if (r.splits_dir.empty()) {
    if (!root.empty() && fs::exists(root / "splits" / (name + "_train.csv")))
      r.splits_dir = root / "splits";
    else
      r.splits_dir = shipped_splits_dir();
  }
  if (!root.empty() && fs::exists(root / "manifest.json")) {
    try {
      const auto m = nlohmann::json::parse(read_text_file(root / "manifest.json"));
      if (m.contains("files")) r.content_digests = m.at("files");
    } catch (const nlohmann::json::exception& e) {
      AVR_FAIL("dataset manifest ", root / "manifest.json", " is malformed: ", e.what(),
               " (regenerate the dataset with `avr synth`)");
    }
  }
  AVR_CHECK(fs::is_directory(r.audio_root), "dataset '", name, "': audio folder ", r.audio_root,
            " not found (for the embedded dataset run `avr synth --out ", root.string(), "` first)");
  AVR_CHECK(fs::is_directory(r.frames_root), "dataset '", name, "': frames folder ",
            r.frames_root, " not found");
  AVR_CHECK(fs::exists(r.splits_dir / (name + "_train.csv")), "dataset '", name,
            "': no split file ", r.splits_dir / (name + "_train.csv"),
            " (use --splits DIR, or a name among embedded, music, kinetics, ave)");
  return r;
}

fs::path DatasetSpec::split_file(const std::string& split) const {
  AVR_CHECK(split == "train" || split == "val" || split == "test", "unknown split '", split,
            "': use train, val or test");
  return splits_dir / (name + "_" + split + ".csv");
}

void to_json(nlohmann::json& j, const DatasetSpec& s) {
  j = {{"name", s.name},
       {"root", s.root.string()},
       {"audio_root", s.audio_root.string()},
       {"frames_root", s.frames_root.string()},
       {"splits_dir", s.splits_dir.string()}};
  if (!s.content_digests.is_null()) j["content_digests"] = s.content_digests;
}

std::vector<std::string> dataset_classes(const DatasetSpec& spec) {
  return class_names(read_split_csv(spec.split_file("train")));
}

namespace {

// A split file that `avr synth` wrote is listed in DATA_ROOT/manifest.json with
// its SHA-256: one that no longer matches (a damaged or edited row would change
// labels or frames silently) is refused. Split files from elsewhere (--splits,
// the shipped ones) have no recorded digest and are read as they are.
void verify_against_manifest(const DatasetSpec& spec, const std::string& split, const fs::path& file) {
  const auto& d = spec.content_digests;
  if (spec.root.empty() || !d.is_object() || !d.contains(split)) return;
  const auto& entry = d[split];
  if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string() ||
      !entry.contains("sha256") || !entry["sha256"].is_string())
    return;
  std::error_code ec;
  if (!fs::equivalent(spec.root / entry["path"].get<std::string>(), file, ec) || ec) return;
  AVR_CHECK(sha256_file(file) == entry["sha256"].get<std::string>(), "split file ", file,
            " does not match the SHA-256 that ", spec.root / "manifest.json",
            " recorded (damaged or edited); regenerate the dataset with `avr synth`, or restore the file");
}

}  // namespace

AvDataset::AvDataset(const DatasetSpec& spec, const std::string& split,
                     std::vector<std::string> classes)
    : split_(split), classes_(std::move(classes)) {
  layout_.audio_root = spec.audio_root;
  layout_.frames_root = spec.frames_root;
  const fs::path file = spec.split_file(split);
  verify_against_manifest(spec, split, file);
  rows_ = read_split_csv(file);
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < classes_.size(); ++i) index[classes_[i]] = static_cast<int64_t>(i);
  labels_.reserve(rows_.size());
  for (size_t i = 0; i < rows_.size(); ++i) {
    auto it = index.find(rows_[i].label());
    AVR_CHECK(it != index.end(), file, ":", i + 1, ": class '", rows_[i].label(),
              "' is not among the ", classes_.size(),
              " training classes; check that the split files belong together");
    labels_.push_back(it->second);
  }
}

std::string AvDataset::rows_sha256() const {
  std::string rows;
  for (const auto& r : rows_) rows += r.audio + ',' + r.frames + ',' + std::to_string(r.frame_count) + '\n';
  return sha256_hex(rows);
}

void AvDataset::check_files() const {
  std::vector<std::string> missing;
  for (const auto& r : rows_) {
    const auto a = layout_.audio_path(r);
    const auto f = layout_.frame_path(r, center_frame_index(r.frame_count));
    if (!fs::is_regular_file(a)) missing.push_back(a.string());
    if (!fs::is_regular_file(f)) missing.push_back(f.string());
    if (missing.size() >= 3) break;
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    AVR_FAIL("split '", split_, "' refers to missing files: ", list,
             " — check --audio-root/--frames-root, or re-run `avr extract`/`avr synth`");
  }
}

}  // namespace avr
