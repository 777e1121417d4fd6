// A dataset in the original layout: which split files, where the media live,
// the class list, and the clip settings. The paper's three datasets use the
// split files shipped in data/splits/; the embedded one carries its own.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/data/clip.h"
#include "avr/layout/dataset_layout.h"

namespace avr {

// Where a dataset's files are. For `embedded` (and anything made by `avr
// synth`/`avr extract`) `root` is enough: root/splits/<name>_<split>.csv,
// root/audio, root/frames. For music/kinetics/ave the user gives the media
// roots and the shipped split files are used unless --splits says otherwise.
struct DatasetSpec {
  std::string name = "embedded";          // embedded | music | kinetics | ave | any extracted name
  std::filesystem::path root;             // default parent of the three below
  std::filesystem::path audio_root;       // default root/audio
  std::filesystem::path frames_root;      // default root/frames
  std::filesystem::path splits_dir;       // default root/splits, else the shipped data/splits
  // After resolved(): the "files" digests of root/manifest.json (split files,
  // boxes, clip descriptions) when `avr synth` made the dataset, else null.
  // Written with the spec, so results and cached steps keyed on it change
  // when the dataset in the same folder is regenerated with other content.
  nlohmann::json content_digests;
  void validate() const;
  // Fills the defaults and checks the folders exist (clear error otherwise).
  DatasetSpec resolved() const;
  std::filesystem::path split_file(const std::string& split) const;  // after resolved()
};
void to_json(nlohmann::json& j, const DatasetSpec& s);

// The folder of split files shipped with avr (compiled-in source path, or
// $AVR_DATA_DIR/splits).
std::filesystem::path shipped_splits_dir();

class AvDataset {
 public:
  // `classes`: the label order (normally class_names() of the train split);
  // a row of another class is an error naming the file and row.
  AvDataset(const DatasetSpec& spec, const std::string& split, std::vector<std::string> classes);
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  const SplitRow& row(int64_t i) const { return rows_.at(i); }
  int64_t label(int64_t i) const { return labels_.at(i); }
  const std::vector<std::string>& classes() const { return classes_; }
  const DatasetLayout& layout() const { return layout_; }
  const std::string& split() const { return split_; }
  // Checks every referenced file exists, naming the first few missing ones.
  void check_files() const;
  // SHA-256 of the rows in order ("audio,frames,frame_count" lines): names what
  // a checkpoint or a memory bank learnt from, wherever the data root lies.
  std::string rows_sha256() const;

 private:
  DatasetLayout layout_;
  std::string split_;
  std::vector<SplitRow> rows_;
  std::vector<int64_t> labels_;
  std::vector<std::string> classes_;
};

// The class list of a dataset: the train split's classes.
std::vector<std::string> dataset_classes(const DatasetSpec& spec);

}  // namespace avr
