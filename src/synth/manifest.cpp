#include "avr/synth/manifest.h"

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
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

void to_json(nlohmann::json& j, const DatasetManifest& m) {
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : m.classes)
    classes.push_back({{"name", c.name},
                       {"gm_bank", c.gm_bank},
                       {"gm_program", c.gm_program},
                       {"emoji", c.emoji},
                       {"emoji_name", c.emoji_name}});
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [k, f] : m.files)
    files[k] = {{"path", f.path}, {"sha256", f.sha256}, {"rows", f.rows}};
  nlohmann::json assets = nlohmann::json::array();
  for (const auto& a : m.assets)
    assets.push_back(
        {{"name", a.name}, {"path", a.path}, {"licence", a.licence}, {"used_for", a.used_for}});
  j = nlohmann::json{{"generator", m.generator},
                     {"generator_version", m.generator_version},
                     {"avr_version", m.avr_version},
                     {"profile", m.profile},
                     {"seed", m.seed},
                     {"settings", m.settings},
                     {"classes", classes},
                     {"image_size", m.image_size},
                     {"audio_length", m.audio_length},
                     {"frame_width", m.frame_width},
                     {"frame_height", m.frame_height},
                     {"frames_per_clip", m.frames_per_clip},
                     {"fps", m.fps},
                     {"sample_rate", m.sample_rate},
                     {"audio_samples", m.audio_samples},
                     {"counts", m.counts},
                     {"files", files},
                     {"assets", assets}};
}

void from_json(const nlohmann::json& j, DatasetManifest& m) {
  // read_manifest adds the file to any error.
  JsonFields f(j, "dataset manifest");
  f.require("generator", m.generator);
  f.require("generator_version", m.generator_version);
  f.require("avr_version", m.avr_version);
  f.require("profile", m.profile);
  f.require("seed", m.seed);
  f.require("settings", m.settings);
  f.require("image_size", m.image_size);
  f.require("audio_length", m.audio_length);
  f.require("frame_width", m.frame_width);
  f.require("frame_height", m.frame_height);
  f.require("frames_per_clip", m.frames_per_clip);
  f.require("fps", m.fps);
  f.require("sample_rate", m.sample_rate);
  f.require("audio_samples", m.audio_samples);
  f.require("counts", m.counts);
  AVR_CHECK(f.has("classes") && f.has("files") && f.has("assets"),
            "dataset manifest: classes, files and assets are required");
  m.classes.clear();
  for (const auto& c : f.raw("classes")) {
    JsonFields cf(c, "dataset manifest class");
    ManifestClass sc;
    cf.require("name", sc.name);
    cf.require("gm_bank", sc.gm_bank);
    cf.require("gm_program", sc.gm_program);
    cf.require("emoji", sc.emoji);
    cf.require("emoji_name", sc.emoji_name);
    cf.finish();
    m.classes.push_back(sc);
  }
  m.files.clear();
  for (const auto& [k, v] : f.raw("files").items()) {
    JsonFields ff(v, "dataset manifest file '" + k + "'");
    auto& file = m.files[k];
    ff.require("path", file.path);
    ff.require("sha256", file.sha256);
    ff.require("rows", file.rows);
    ff.finish();
  }
  m.assets.clear();
  for (const auto& a : f.raw("assets")) {
    JsonFields af(a, "dataset manifest asset");
    ManifestAsset asset;
    af.require("name", asset.name);
    af.require("path", asset.path);
    af.require("licence", asset.licence);
    af.require("used_for", asset.used_for);
    af.finish();
    m.assets.push_back(asset);
  }
  f.finish();
}

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
