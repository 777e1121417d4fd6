// manifest.json of an embedded dataset: how it was made (profile, seed, every
// knob, generator version), what it holds (classes with their GM program and
// pictogram, sizes, counts, digests of the index files) and the licences of
// the assets its media come from. `image_size` and `audio_length` at the top
// level are what the training code reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/synth/profile.h"

namespace avr {

// Bumped whenever the same seed and profile would give other bytes.
// 2: plan_clip_scene (the scene's stream is unchanged, the default profile's
//    pictograms are 0.25-0.40 of the side instead of 0.40-0.60).
constexpr int kSynthGeneratorVersion = 2;

struct ManifestClass {
  std::string name;
  int gm_bank = 0;
  int gm_program = 0;
  std::string emoji;  // "U+1FA97"
  std::string emoji_name;
};

struct ManifestAsset {
  std::string name;
  std::string path;
  std::string licence;
  std::string used_for;
};

struct ManifestFile {
  std::string path;  // relative to the dataset folder
  std::string sha256;
  int64_t rows = 0;  // split files: clips; others: 0
};

struct DatasetManifest {
  std::string generator = "avr synth";
  int generator_version = kSynthGeneratorVersion;
  std::string avr_version;
  std::string profile;
  uint64_t seed = 0;
  SynthProfile settings;
  std::vector<ManifestClass> classes;
  int image_size = 0;
  int64_t audio_length = 0;
  int frame_width = 0;
  int frame_height = 0;
  int frames_per_clip = 0;
  double fps = 0;
  int sample_rate = 0;
  int64_t audio_samples = 0;                  // per clip
  std::map<std::string, int64_t> counts;      // train, val, test
  std::map<std::string, ManifestFile> files;  // train, val, test, boxes, clips
  std::vector<ManifestAsset> assets;
};

// The parts that follow from the settings alone (everything but files).
DatasetManifest make_manifest(const SynthProfile& profile, uint64_t seed,
                              const std::filesystem::path& soundfont,
                              const std::filesystem::path& emoji_font);

// Every key is written and required on reading; a key avr does not write is an error.
void to_json(nlohmann::json& j, const ManifestClass& c);
void from_json(const nlohmann::json& j, ManifestClass& c);
void to_json(nlohmann::json& j, const ManifestFile& f);
void from_json(const nlohmann::json& j, ManifestFile& f);
void to_json(nlohmann::json& j, const ManifestAsset& a);
void from_json(const nlohmann::json& j, ManifestAsset& a);
void to_json(nlohmann::json& j, const DatasetManifest& m);
void from_json(const nlohmann::json& j, DatasetManifest& m);
// Errors name the file and the missing or malformed key.
DatasetManifest read_manifest(const std::filesystem::path& path);

// Why the dataset a manifest describes is not what `profile` and `seed` would
// generate now (another generator version, seed or any setting), in words
// naming the first differing settings; empty when it is.
std::string manifest_mismatch(const DatasetManifest& manifest, const SynthProfile& profile,
                              uint64_t seed);

}  // namespace avr
