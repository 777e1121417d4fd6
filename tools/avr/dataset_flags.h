// The dataset flags shared by train, eval, attack and study.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "avr/data/dataset.h"

namespace avr::cli {

struct DatasetFlags {
  std::string name = "embedded";
  std::string root, audio_root, frames_root, splits;
  DatasetSpec spec() const {
    DatasetSpec s;
    s.name = name;
    s.root = root;
    s.audio_root = audio_root;
    s.frames_root = frames_root;
    s.splits_dir = splits;
    return s;
  }
};

inline void add_dataset_flags(CLI::App& app, DatasetFlags& f) {
  app.add_option("--dataset", f.name,
                 "embedded (made by `avr synth`), music, kinetics, ave, or the --name of `avr extract`")
      ->capture_default_str();
  app.add_option("--data-root", f.root,
                 "dataset folder holding audio/, frames/ (and splits/, manifest.json)");
  app.add_option("--audio-root", f.audio_root, "folder of <class>/<id>.wav (default: DATA_ROOT/audio)");
  app.add_option("--frames-root", f.frames_root,
                 "folder of <class>/<id>.mp4/000001.jpg (default: DATA_ROOT/frames)");
  app.add_option("--splits", f.splits,
                 "folder of <dataset>_{train,val,test}.csv (default: DATA_ROOT/splits, else the shipped ones)");
}

// The training preset that fits a dataset: the original scripts' for the
// paper's datasets, the embedded profile's otherwise.
std::string default_preset(const DatasetSpec& spec);

}  // namespace avr::cli
