// The whole dataset: layout, decodability, boxes, manifest, determinism.
#include "avr/synth/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"
#include "avr/layout/dataset_layout.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "avr/synth/manifest.h"
#include "test_support.h"

namespace avr {
namespace {

SynthRequest small_request(const std::filesystem::path& out, uint64_t seed, int jobs) {
  SynthRequest r;
  r.profile = profile_by_name("tiny");
  r.profile.train_clips = 24;  // covers every class twice and then some
  r.profile.val_clips = 6;
  r.profile.test_clips = 6;
  r.seed = seed;
  r.jobs = jobs;
  r.out = out;
  r.progress = false;
  return r;
}

// relative path -> SHA-256 of every file under root
std::map<std::string, std::string> hash_tree(const std::filesystem::path& root) {
  std::map<std::string, std::string> h;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file())
      h[std::filesystem::relative(e.path(), root).string()] = sha256_file(e.path());
  return h;
}

}  // namespace

TEST(Generator, TinyProfileWritesTheWholeLayoutAndEveryFileDecodes) {
  test::TempDir dir;
  SynthRequest req;
  req.profile = profile_by_name("tiny");
  req.out = dir.path();
  req.progress = false;
  const SynthResult res = generate_dataset(req);
  const SynthProfile& p = req.profile;
  EXPECT_EQ(res.clips, 256);

  const DatasetManifest m = read_manifest(dir / "manifest.json");
  const auto boxes = nlohmann::json::parse(read_text_file(dir / "boxes.json"));
  const auto clips = nlohmann::json::parse(read_text_file(dir / "clips.json"));
  EXPECT_EQ(boxes.at("frame_width"), 40);
  EXPECT_EQ(boxes.at("frame_height"), 40);
  const DatasetLayout layout = DatasetLayout::under(dir.path());
  std::set<std::string> ids;
  std::map<std::string, int> per_class;
  int64_t rows_seen = 0;
  for (const std::string split : {"train", "val", "test"}) {
    const auto path = split_file(dir.path(), split);
    const auto rows = read_split_csv(path);
    ASSERT_EQ(static_cast<int64_t>(rows.size()), p.clips(split));
    EXPECT_EQ(m.files.at(split).sha256, sha256_file(path));
    EXPECT_EQ(m.files.at(split).rows, p.clips(split));
    rows_seen += static_cast<int64_t>(rows.size());
    for (const auto& row : rows) {
      EXPECT_TRUE(ids.insert(row.frames).second) << "duplicate " << row.frames;
      if (split == "train") ++per_class[row.label()];
      const Audio a = read_wav(layout.audio_path(row));
      ASSERT_EQ(a.sample_rate, 11025);
      ASSERT_EQ(a.channels, 1);
      ASSERT_EQ(a.frames(), p.audio_samples());
      // Not silent, not clipping: the peak is set to 0.4..0.9 of full scale.
      float peak = 0;
      double energy = 0;
      for (float s : a.samples) peak = std::max(peak, std::fabs(s)), energy += s * s;
      ASSERT_GT(peak, 0.39f) << row.audio;
      ASSERT_LT(peak, 0.91f) << row.audio;
      ASSERT_GT(energy / a.samples.size(), 1e-4) << row.audio;

      ASSERT_EQ(row.frame_count, p.frames_per_clip);
      const auto& bx = boxes.at("boxes").at(row.frames);
      ASSERT_EQ(static_cast<int64_t>(bx.size()), row.frame_count);
      for (int64_t f = 1; f <= row.frame_count; ++f) {
        const Image im = read_image(layout.frame_path(row, f));
        ASSERT_EQ(im.width, 40);
        ASSERT_EQ(im.height, 40);
        const auto& b = bx.at(f - 1);
        ASSERT_TRUE(b[0] >= 0 && b[1] >= 0 && b[0] < b[2] && b[1] < b[3] && b[2] <= 40 &&
                    b[3] <= 40)
            << row.frames << " frame " << f << ": " << b.dump();
      }
      EXPECT_FALSE(std::filesystem::exists(layout.frame_path(row, row.frame_count + 1)));
      // Exactly one instrument is both seen and heard.
      const auto& c = clips.at(row.frames);
      EXPECT_EQ(c.at("class"), row.label());
      for (const auto& v : c.at("visual_distractors")) {
        EXPECT_NE(v, c.at("class"));
        EXPECT_NE(v, c.at("audio_distractor"));
      }
    }
  }
  EXPECT_EQ(rows_seen, res.clips);
  EXPECT_EQ(boxes.at("boxes").size(), static_cast<size_t>(res.clips));
  EXPECT_EQ(per_class.size(), 10u);
  for (const auto& [cls, n] : per_class) EXPECT_TRUE(n == 12 || n == 13) << cls;

  // The manifest records what the training code reads and round-trips.
  EXPECT_EQ(m.image_size, 32);
  EXPECT_EQ(m.audio_length, 4096);
  EXPECT_EQ(m.settings.name, "tiny");
  EXPECT_EQ(m.classes.size(), 10u);
  EXPECT_EQ(m.counts.at("train"), 128);
  EXPECT_EQ(m.files.at("boxes").sha256, sha256_file(dir / "boxes.json"));
  const auto raw = nlohmann::json::parse(read_text_file(dir / "manifest.json"));
  EXPECT_EQ(nlohmann::json(m), raw);
  std::set<std::string> licences;
  for (const auto& a : m.assets) licences.insert(a.licence);
  EXPECT_TRUE(licences.count("MIT")) << "FluidR3_GM";
  EXPECT_TRUE(licences.count("SIL Open Font License 1.1")) << "Noto Color Emoji";
}

TEST(Generator, SameSeedSameBytesForOneOrTwoThreadsOtherSeedOtherBytes) {
  test::TempDir one, two, other;
  generate_dataset(small_request(one.path(), 7, 1));
  generate_dataset(small_request(two.path(), 7, 2));
  generate_dataset(small_request(other.path(), 8, 2));
  const auto h1 = hash_tree(one.path()), h2 = hash_tree(two.path()), h3 = hash_tree(other.path());
  ASSERT_EQ(h1.size(), 36u * (1 + 8) + 3 + 3);  // wav + frames, splits, json files
  EXPECT_EQ(h1, h2);
  ASSERT_EQ(h1.size(), h3.size());
  int differ = 0, media = 0;
  for (const auto& [path, digest] : h1) {
    if (path.rfind("audio/", 0) != 0 && path.rfind("frames/", 0) != 0) continue;
    ++media;
    differ += h3.at(path) != digest;
  }
  EXPECT_EQ(differ, media) << "a media file is identical under another seed";
}

TEST(Generator, RefusesANonEmptyFolderUnlessForcedAndThenReplacesOnlyItsFiles) {
  test::TempDir dir;
  write_file_atomic(dir / "notes.txt", "mine");
  SynthRequest r = small_request(dir.path(), 1, 2);
  try {
    generate_dataset(r);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
  r.force = true;
  generate_dataset(r);
  r.profile.train_clips = 10;  // smaller: no stale clip of the first run may stay
  generate_dataset(r);
  EXPECT_EQ(read_text_file(dir / "notes.txt"), "mine");
  int wavs = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "audio"))
    wavs += e.path().extension() == ".wav";
  EXPECT_EQ(wavs, 10 + 6 + 6);
}

}  // namespace avr
