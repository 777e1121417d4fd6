#include "avr/synth/manifest.h"

#include "avr/core/error.h"
#include "avr/core/json_record.h"
#include "avr/core/fs.h"
#include "avr/synth/instruments.h"

namespace avr {

DatasetManifest make_manifest(const SynthProfile& p, uint64_t seed,
                              const std::filesystem::path& soundfont,
                              const std::filesystem::path& emoji_font) {
  DatasetManifest m;
  m.avr_version = AVR_VERSION_STRING;
  m.profile = p.name;
  m.seed = seed;
  m.settings = p;
  m.settings.classes = p.class_list();
  for (const auto& name : m.settings.classes) {
    const Instrument& in = find_instrument(name);
    m.classes.push_back(
        {in.name, in.gm_bank, in.gm_program, codepoint_string(in.codepoint), in.emoji_name});
  }
  m.image_size = p.image_size;
  m.audio_length = p.audio_length;
  m.frame_width = m.frame_height = p.frame_size;
  m.frames_per_clip = p.frames_per_clip;
  m.fps = p.fps;
  m.sample_rate = p.sample_rate;
  m.audio_samples = p.audio_samples();
  m.counts = {{"train", p.train_clips}, {"val", p.val_clips}, {"test", p.test_clips}};
  m.assets = {
      {"FluidR3_GM soundfont (Frank Wen)", soundfont.string(), "MIT",
       "instrument sounds in audio/"},
      {"Noto Color Emoji (Google)", emoji_font.string(), "SIL Open Font License 1.1",
       "instrument pictograms in frames/"},
  };
  return m;
}

// Every key of manifest.json is required; each record names its keys once (JsonRecord).
constexpr JsonRecord kManifestClass("dataset manifest class",
                                    json_member("name", &ManifestClass::name),
                                    json_member("gm_bank", &ManifestClass::gm_bank),
                                    json_member("gm_program", &ManifestClass::gm_program),
                                    json_member("emoji", &ManifestClass::emoji),
                                    json_member("emoji_name", &ManifestClass::emoji_name));

constexpr JsonRecord kManifestFile("dataset manifest file", json_member("path", &ManifestFile::path),
                                   json_member("sha256", &ManifestFile::sha256),
                                   json_member("rows", &ManifestFile::rows));

constexpr JsonRecord kManifestAsset("dataset manifest asset",
                                    json_member("name", &ManifestAsset::name),
                                    json_member("path", &ManifestAsset::path),
                                    json_member("licence", &ManifestAsset::licence),
                                    json_member("used_for", &ManifestAsset::used_for));

void to_json(nlohmann::json& j, const ManifestClass& c) { kManifestClass.write(j, c); }
void from_json(const nlohmann::json& j, ManifestClass& c) { kManifestClass.read(j, c); }
void to_json(nlohmann::json& j, const ManifestFile& f) { kManifestFile.write(j, f); }
void from_json(const nlohmann::json& j, ManifestFile& f) { kManifestFile.read(j, f); }
void to_json(nlohmann::json& j, const ManifestAsset& a) { kManifestAsset.write(j, a); }
void from_json(const nlohmann::json& j, ManifestAsset& a) { kManifestAsset.read(j, a); }

constexpr JsonRecord kDatasetManifest(
    "dataset manifest", json_member("generator", &DatasetManifest::generator),
    json_member("generator_version", &DatasetManifest::generator_version),
    json_member("avr_version", &DatasetManifest::avr_version),
    json_member("profile", &DatasetManifest::profile), json_member("seed", &DatasetManifest::seed),
    json_member("settings", &DatasetManifest::settings),
    json_member("classes", &DatasetManifest::classes),
    json_member("image_size", &DatasetManifest::image_size),
    json_member("audio_length", &DatasetManifest::audio_length),
    json_member("frame_width", &DatasetManifest::frame_width),
    json_member("frame_height", &DatasetManifest::frame_height),
    json_member("frames_per_clip", &DatasetManifest::frames_per_clip),
    json_member("fps", &DatasetManifest::fps),
    json_member("sample_rate", &DatasetManifest::sample_rate),
    json_member("audio_samples", &DatasetManifest::audio_samples),
    json_member("counts", &DatasetManifest::counts), json_member("files", &DatasetManifest::files),
    json_member("assets", &DatasetManifest::assets));

void to_json(nlohmann::json& j, const DatasetManifest& m) { kDatasetManifest.write(j, m); }
// read_manifest adds the file to any error.
void from_json(const nlohmann::json& j, DatasetManifest& m) { kDatasetManifest.read(j, m); }

DatasetManifest read_manifest(const std::filesystem::path& path) {
  require_file(path, "dataset manifest (generate the dataset with `avr synth`)");
  try {
    return nlohmann::json::parse(read_text_file(path)).get<DatasetManifest>();
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("dataset manifest ", path, " is malformed: ", e.what(),
             " (regenerate it with `avr synth`)");
  } catch (const Error& e) {  // its settings, checked by apply_json, do not name the file
    AVR_FAIL("dataset manifest ", path, " is malformed: ", e.what(),
             " (regenerate it with `avr synth`)");
  }
}

std::string manifest_mismatch(const DatasetManifest& m, const SynthProfile& p, uint64_t seed) {
  std::string why;
  auto add = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  if (m.generator_version != kSynthGeneratorVersion)
    add("generator version " + std::to_string(m.generator_version) + ", now " +
        std::to_string(kSynthGeneratorVersion));
  if (m.seed != seed) add("seed " + std::to_string(m.seed) + ", now " + std::to_string(seed));
  SynthProfile want = p;
  want.classes = p.class_list();
  const nlohmann::json have_j = m.settings, want_j = want;
  int listed = 0;
  for (const auto& [key, value] : want_j.items()) {
    if (have_j.contains(key) && have_j.at(key) == value) continue;
    if (listed++ < 4)
      add(key + " " + (have_j.contains(key) ? have_j.at(key).dump() : "missing") + ", now " +
          value.dump());
  }
  if (listed > 4) add(std::to_string(listed - 4) + " more settings");
  return why;
}

}  // namespace avr
