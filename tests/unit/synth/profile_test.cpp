#include "avr/synth/profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "avr/core/error.h"
#include "avr/layout/dataset_layout.h"
#include "avr/synth/manifest.h"
#include "test_support.h"

namespace avr {

namespace {
std::string error_of(const SynthProfile& p) {
  try {
    p.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SynthProfile, NamedProfilesAreValidAndTheCenterWindowFits) {
  for (const auto& name : profile_names()) {
    const SynthProfile p = profile_by_name(name);
    EXPECT_EQ(p.name, name);
    EXPECT_NO_THROW(p.validate()) << name;
    const int64_t c = center_frame_index(p.frames_per_clip);
    const int64_t s = center_window_start(c, p.fps, p.sample_rate, p.audio_length);
    EXPECT_GE(s, 0) << name;
    EXPECT_LE(s + p.audio_length, p.audio_samples()) << name;
    EXPECT_GT(p.frame_size, p.image_size) << name << ": no room for a train crop";
  }
  EXPECT_EQ(profile_by_name("tiny").audio_length, 4096);
  EXPECT_EQ(profile_by_name("default").image_size, 48);
  EXPECT_EQ(profile_by_name("default").audio_length, 8192);
  EXPECT_EQ(profile_by_name("large").image_size, 224);
  EXPECT_EQ(profile_by_name("large").audio_length, 65535);
  // paper: large's sizes (the paper's input, room for the 1.1x resize + crop), fewer clips.
  const SynthProfile paper = profile_by_name("paper"), large = profile_by_name("large");
  EXPECT_EQ(paper.image_size, 224);
  EXPECT_EQ(paper.audio_length, 65535);
  EXPECT_GE(paper.frame_size, std::llround(1.1 * paper.image_size));
  EXPECT_EQ(paper.frames_per_clip, large.frames_per_clip);
  EXPECT_LT(paper.total_clips(), large.total_clips());
  try {
    profile_by_name("huge");
    FAIL() << "an unknown profile must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny, default, large or paper"), std::string::npos) << e.what();
  }
}

TEST(SynthProfile, JsonRoundTripKeepsEveryKnob) {
  SynthProfile p = profile_by_name("tiny");
  p.snr_db_min = 3.5;
  p.visual_distractor_probs = {0.5, 0.5};
  p.classes = {"flute", "violin", "piano"};
  const nlohmann::json j = p;
  const SynthProfile q = j.get<SynthProfile>();
  EXPECT_EQ(nlohmann::json(q), j);
  EXPECT_EQ(q.snr_db_min, 3.5);
  EXPECT_EQ(q.classes, p.classes);
  EXPECT_EQ(q.frame_size, 40);
}

TEST(SynthProfile, PartialJsonStartsFromTheNamedProfileAndRejectsTypos) {
  const auto q = nlohmann::json{{"name", "tiny"}, {"train_clips", 10}}.get<SynthProfile>();
  EXPECT_EQ(q.train_clips, 10);
  EXPECT_EQ(q.frame_size, 40);  // from tiny, not from default
  SynthProfile p;
  EXPECT_THROW(apply_json(p, {{"snr_db_mni", 1.0}}), Error);
  EXPECT_THROW(apply_json(p, {{"train_clips", "ten"}}), Error);
  EXPECT_THROW(apply_json(p, {{"train_clips", 10.5}}), Error);
  apply_json(p, {{"fps", 8}});  // an integer where a real is expected is fine
  EXPECT_EQ(p.fps, 8.0);
}

TEST(SynthProfile, ValidateNamesTheProblem) {
  SynthProfile p = profile_by_name("tiny");
  p.audio_length = 16384;  // longer than the 1 s clip
  EXPECT_NE(error_of(p).find("frames_per_clip"), std::string::npos) << error_of(p);

  p = profile_by_name("default");
  p.classes = {"flute", "violin", "piano"};  // target + audio + 2 visual need 4
  EXPECT_NE(error_of(p).find("at least 4 classes"), std::string::npos) << error_of(p);

  p = profile_by_name("default");
  p.classes = {"flute", "cello"};
  EXPECT_NE(error_of(p).find("cello"), std::string::npos);

  p = profile_by_name("default");
  p.visual_distractor_probs = {0.5, 0.4};
  EXPECT_NE(error_of(p).find("sum to"), std::string::npos);

  p = profile_by_name("default");
  p.target_scale_max = 0.95;
  EXPECT_NE(error_of(p).find("does not fit"), std::string::npos);

  p = profile_by_name("default");
  p.snr_db_min = 30;
  EXPECT_NE(error_of(p).find("snr_db_min"), std::string::npos);
}

// A dataset folder is reused only when its manifest says it is what the
// profile would generate now: a stale layout (the old 0.40-0.60 pictograms),
// another seed or generator version is named, so the study regenerates it.
TEST(Manifest, MismatchNamesStaleSettingsSeedAndVersion) {
  const SynthProfile p = profile_by_name("default");
  DatasetManifest m = make_manifest(p, 1, "sf.sf2", "emoji.ttf");
  m = nlohmann::json::parse(nlohmann::json(m).dump()).get<DatasetManifest>();  // as read back
  EXPECT_EQ(manifest_mismatch(m, p, 1), "");
  EXPECT_NE(manifest_mismatch(m, p, 2).find("seed 1, now 2"), std::string::npos);
  DatasetManifest old = m;
  old.settings.target_scale_min = 0.40;
  old.settings.target_scale_max = 0.60;
  const std::string why = manifest_mismatch(old, p, 1);
  EXPECT_NE(why.find("target_scale_min 0.4, now 0.25"), std::string::npos) << why;
  EXPECT_NE(why.find("target_scale_max"), std::string::npos) << why;
  old = m;
  old.generator_version = kSynthGeneratorVersion - 1;
  EXPECT_NE(manifest_mismatch(old, p, 1).find("generator version"), std::string::npos);
  // Another named profile differs in many settings: the first few are named.
  const std::string many = manifest_mismatch(m, profile_by_name("tiny"), 1);
  EXPECT_NE(many.find("audio_length 8192, now 4096"), std::string::npos) << many;
  EXPECT_NE(many.find("more settings"), std::string::npos) << many;
}

// fuzz/json_fuzz.cpp: a manifest whose settings hold a misspelt key ("jpeg_auality")
// made read_manifest throw apply_json's error, which does not say which file is bad.
TEST(Manifest, BadSettingsInAManifestAreAnErrorNamingTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("avr_manifest_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  nlohmann::json j = make_manifest(profile_by_name("tiny"), 1, "sf.sf2", "emoji.ttf");
  j["settings"]["jpeg_auality"] = j["settings"]["jpeg_quality"];
  j["settings"].erase("jpeg_quality");
  std::ofstream(dir / "manifest.json") << j.dump();
  std::string e;
  try {
    read_manifest(dir / "manifest.json");
  } catch (const Error& err) {
    e = err.what();
  }
  std::filesystem::remove_all(dir);
  EXPECT_NE(e.find("manifest.json"), std::string::npos) << e;
  EXPECT_NE(e.find("jpeg_auality"), std::string::npos) << e;
}

// manifest.json is read strictly: every key written is required on reading, at the top
// level and in each class, file and asset, and a key avr does not write is an error. The
// key lists are the file's format: a change here is a format change.
TEST(Manifest, EveryKeyWrittenIsRequiredAndNoOtherIsAccepted) {
  DatasetManifest m = make_manifest(profile_by_name("tiny"), 1, "sf.sf2", "emoji.ttf");
  m.files["train"] = {"train.csv", std::string(64, 'a'), 12};
  const nlohmann::json j = m;
  EXPECT_EQ(nlohmann::json(j.get<DatasetManifest>()), j);  // round trip

  auto keys = [](const nlohmann::json& o) {
    std::vector<std::string> k;
    for (const auto& [key, v] : o.items()) k.push_back(key);
    return k;
  };
  using K = std::vector<std::string>;
  EXPECT_EQ(keys(j), (K{"assets", "audio_length", "audio_samples", "avr_version", "classes",
                        "counts", "files", "fps", "frame_height", "frame_width",
                        "frames_per_clip", "generator", "generator_version", "image_size",
                        "profile", "sample_rate", "seed", "settings"}));
  EXPECT_EQ(keys(j["classes"][0]), (K{"emoji", "emoji_name", "gm_bank", "gm_program", "name"}));
  EXPECT_EQ(keys(j["files"]["train"]), (K{"path", "rows", "sha256"}));
  EXPECT_EQ(keys(j["assets"][0]), (K{"licence", "name", "path", "used_for"}));

  // Each key of each record, removed: an error naming it.
  const std::vector<nlohmann::json::json_pointer> records = {
      nlohmann::json::json_pointer(""), nlohmann::json::json_pointer("/classes/0"),
      nlohmann::json::json_pointer("/files/train"), nlohmann::json::json_pointer("/assets/0")};
  for (const auto& at : records) {
    for (const auto& key : keys(j[at])) {
      nlohmann::json bad = j;
      bad[at].erase(key);
      const std::string e = test::error_of([&] { (void)bad.get<DatasetManifest>(); });
      EXPECT_NE(e.find("'" + key + "'"), std::string::npos) << at.to_string() << ": " << e;
    }
    nlohmann::json extra = j;
    extra[at]["colour"] = 1;
    const std::string e = test::error_of([&] { (void)extra.get<DatasetManifest>(); });
    EXPECT_NE(e.find("unknown key 'colour'"), std::string::npos) << at.to_string() << ": " << e;
  }
  // A value of the wrong type names its key.
  nlohmann::json bad = j;
  bad["files"]["train"]["rows"] = "twelve";
  const std::string e = test::error_of([&] { (void)bad.get<DatasetManifest>(); });
  EXPECT_NE(e.find("'rows'"), std::string::npos) << e;
}

}  // namespace avr
