#include "avr/synth/manifest.h"

#include "avr/core/error.h"
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
  // nlohmann's at() throws out_of_range naming the key; read_manifest adds the file.
  j.at("generator").get_to(m.generator);
  j.at("generator_version").get_to(m.generator_version);
  j.at("avr_version").get_to(m.avr_version);
  j.at("profile").get_to(m.profile);
  j.at("seed").get_to(m.seed);
  m.settings = j.at("settings").get<SynthProfile>();
  m.classes.clear();
  for (const auto& c : j.at("classes"))
    m.classes.push_back({c.at("name").get<std::string>(), c.at("gm_bank").get<int>(),
                         c.at("gm_program").get<int>(), c.at("emoji").get<std::string>(),
                         c.at("emoji_name").get<std::string>()});
  j.at("image_size").get_to(m.image_size);
  j.at("audio_length").get_to(m.audio_length);
  j.at("frame_width").get_to(m.frame_width);
  j.at("frame_height").get_to(m.frame_height);
  j.at("frames_per_clip").get_to(m.frames_per_clip);
  j.at("fps").get_to(m.fps);
  j.at("sample_rate").get_to(m.sample_rate);
  j.at("audio_samples").get_to(m.audio_samples);
  j.at("counts").get_to(m.counts);
  m.files.clear();
  for (const auto& [k, f] : j.at("files").items())
    m.files[k] = {f.at("path").get<std::string>(), f.at("sha256").get<std::string>(),
                  f.at("rows").get<int64_t>()};
  m.assets.clear();
  for (const auto& a : j.at("assets"))
    m.assets.push_back({a.at("name").get<std::string>(), a.at("path").get<std::string>(),
                        a.at("licence").get<std::string>(), a.at("used_for").get<std::string>()});
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
