#include "avr/layout/extract.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../media/media_fixtures.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/rng.h"
#include "avr/layout/dataset_layout.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "test_support.h"

namespace avr {
namespace {

namespace fs = std::filesystem;

using test::error_of;

// Three 1.5 s clips in three containers; violin/a and violin/b at 440 Hz,
// drum/c at 660 Hz.
void make_videos(const fs::path& dir) {
  test::write_clip(dir / "violin/a.mkv");
  test::write_clip(dir / "violin/b.avi", 1.5, 24.0, 440.0, {24.0, "mjpeg", "pcm_s16le", 2});
  test::write_clip(dir / "drum/c.mp4", 1.5, 24.0, 660.0, {24.0, "mpeg4", "aac", 2});
}

ExtractSettings settings(int jobs = 2) {
  ExtractSettings s;
  s.name = "toy";
  s.jobs = jobs;
  s.split = {0.5, 0.5, 0.0};
  return s;
}

std::vector<SplitRow> all_rows(const ExtractReport& r) {
  std::vector<SplitRow> rows;
  for (const auto& f : r.split_files)
    if (!f.empty())
      for (auto& row : read_split_csv(f)) rows.push_back(row);
  return rows;
}

// Every file under `dir` (relative path → bytes).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "extract.json")
      m[fs::relative(e.path(), dir).string()] = read_text_file(e.path());
  return m;
}

class Extract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    videos_ = new test::TempDir;
    make_videos(videos_->path());
  }
  static void TearDownTestSuite() { delete videos_; }
  static fs::path videos() { return videos_->path(); }
  static test::TempDir* videos_;
};
test::TempDir* Extract::videos_ = nullptr;

TEST_F(Extract, WritesTheOriginalLayout) {
  test::TempDir out;
  const ExtractReport r = extract_dataset(videos(), out.path(), settings());
  EXPECT_EQ(r.videos, 3);
  EXPECT_EQ(r.extracted, 3);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(r.rows[0] + r.rows[1], 3);  // violin 1/1, drum 1/0 (tie goes to train)
  EXPECT_EQ(r.rows[0], 2);
  EXPECT_TRUE(r.split_files[2].empty());
  EXPECT_FALSE(fs::exists(out / "splits/toy_test.csv"));
  EXPECT_EQ(r.split_files[0], out / "splits/toy_train.csv");

  const auto layout = DatasetLayout::under(out.path());
  const auto rows = all_rows(r);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.frames);
    // The folder is <id>.mp4 whatever the source container was.
    EXPECT_EQ(row.frames.substr(row.frames.size() - 4), ".mp4");
    EXPECT_EQ(row.frame_count, 12);  // 1.5 s × 8 fps
    for (int64_t i = 1; i <= row.frame_count; ++i)
      ASSERT_TRUE(fs::is_regular_file(layout.frame_path(row, i))) << i;
    EXPECT_FALSE(fs::exists(layout.frame_path(row, 13)));
    // Output frame k (1-based file k+1) is source frame 3k: red, square at x = 2k.
    test::expect_source_frame(read_image(layout.frame_path(row, 1)), 0);
    test::expect_source_frame(read_image(layout.frame_path(row, 6)), 15);
    const Audio a = read_wav(layout.audio_path(row));
    EXPECT_EQ(a.sample_rate, 11025);
    EXPECT_EQ(a.channels, 1);
    EXPECT_NEAR(static_cast<double>(a.frames()), 1.5 * 11025, 600);
    const double hz = row.label() == "drum" ? 660 : 440;
    EXPECT_NEAR(test::zero_crossings(a.samples), 2 * hz * 1.5, 2 * hz * 1.5 * 0.01);
  }
  EXPECT_FALSE(fs::exists(out / ".partial"));
  const auto manifest = nlohmann::json::parse(read_text_file(out / "extract.json"));
  EXPECT_EQ(manifest["status"], "done");
  EXPECT_EQ(ExtractSettings::from_json(manifest["settings"]).to_json(), settings().to_json());
}

// The split and every byte written are the same with 1 or 3 threads.
TEST_F(Extract, SameOutputForAnyThreadCount) {
  test::TempDir one, three;
  extract_dataset(videos(), one.path(), settings(1));
  extract_dataset(videos(), three.path(), settings(3));
  const auto a = snapshot(one.path()), b = snapshot(three.path());
  EXPECT_EQ(a.size(), 3u * 12 + 3 + 2);  // frames, wavs, two split files
  EXPECT_TRUE(a == b);
}

TEST_F(Extract, ResumesKeepingFinishedVideos) {
  test::TempDir out;
  extract_dataset(videos(), out.path(), settings());
  const fs::path a_frame = out / "frames/violin/a.mp4/000001.jpg";
  const auto a_time = fs::last_write_time(a_frame);
  // A killed run: c's frames were still in the temporary folder (not renamed
  // into place) although its wav was written; b lost its wav.
  fs::remove_all(out / "frames/drum/c.mp4");
  write_file_atomic(out / ".partial/drum/c.mp4/000001.jpg", "half");
  fs::remove(out / "audio/violin/b.wav");
  const ExtractReport r = extract_dataset(videos(), out.path(), settings());
  EXPECT_EQ(r.reused, 1);
  EXPECT_EQ(r.extracted, 2);
  EXPECT_EQ(fs::last_write_time(a_frame), a_time);  // not rewritten
  EXPECT_TRUE(fs::is_regular_file(out / "frames/drum/c.mp4/000012.jpg"));
  EXPECT_TRUE(fs::is_regular_file(out / "audio/violin/b.wav"));
  EXPECT_FALSE(fs::exists(out / ".partial"));
  EXPECT_EQ(all_rows(r).size(), 3u);
  // Other content settings would mix two kinds of frames: refused.
  ExtractSettings other = settings();
  other.short_side = 12;
  const std::string e = error_of([&] { extract_dataset(videos(), out.path(), other); });
  EXPECT_NE(e.find("re-run with those settings or use a new --out"), std::string::npos) << e;
}

TEST_F(Extract, CorruptVideoStopsTheRunUnlessSkipped) {
  test::TempDir in, out;
  fs::copy(videos(), in.path(), fs::copy_options::recursive);
  Rng rng(11);
  std::string junk(5000, '\0');
  for (char& c : junk) c = static_cast<char>(rng.next_u64());
  std::ofstream(in / "violin/bad.mp4", std::ios::binary) << junk;

  const std::string e = error_of([&] { extract_dataset(in.path(), out.path(), settings()); });
  EXPECT_NE(e.find("1 of 4 videos failed"), std::string::npos) << e;
  EXPECT_NE(e.find("violin/bad.mp4: cannot open video"), std::string::npos) << e;
  EXPECT_NE(e.find("--skip-bad"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(out / "splits/toy_train.csv"));
  EXPECT_FALSE(fs::exists(out / "frames/violin/bad.mp4"));
  EXPECT_TRUE(fs::exists(out / "frames/violin/a.mp4/000012.jpg"));  // good ones kept

  ExtractSettings s = settings();
  s.skip_bad = true;
  const ExtractReport r = extract_dataset(in.path(), out.path(), s);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].video, "violin/bad.mp4");
  EXPECT_EQ(r.reused, 3);
  const auto rows = all_rows(r);
  EXPECT_EQ(rows.size(), 3u);
  for (const auto& row : rows) EXPECT_EQ(row.frames.find("bad"), std::string::npos);
  const auto manifest = nlohmann::json::parse(read_text_file(out / "extract.json"));
  EXPECT_EQ(manifest["skipped"][0]["video"], "violin/bad.mp4");
}

TEST(ExtractInputs, MissingEmptyAndAmbiguousFoldersAreClearErrors) {
  test::TempDir dir;
  const std::string missing =
      error_of([&] { extract_dataset(dir / "nowhere", dir / "out", ExtractSettings{}); });
  EXPECT_NE(missing.find("videos folder not found"), std::string::npos) << missing;
  EXPECT_NE(missing.find("nowhere"), std::string::npos) << missing;
  fs::create_directories(dir / "in/violin");
  std::ofstream(dir / "in/readme.txt") << "top-level files are not videos";
  const std::string empty = error_of([&] { find_videos(dir / "in"); });
  EXPECT_NE(empty.find("no videos found"), std::string::npos) << empty;
  std::ofstream(dir / "in/violin/x.mp4") << "1";
  std::ofstream(dir / "in/violin/x.webm") << "2";
  const std::string dup = error_of([&] { find_videos(dir / "in"); });
  EXPECT_NE(dup.find("would both become id 'x'"), std::string::npos) << dup;
  fs::remove(dir / "in/violin/x.webm");
  std::ofstream(dir / "in/violin/a,b.mp4") << "3";
  EXPECT_NE(error_of([&] { find_videos(dir / "in"); }).find("comma"), std::string::npos);
  fs::remove(dir / "in/violin/a,b.mp4");
  const std::string inside =
      error_of([&] { extract_dataset(dir / "in", dir / "in/out", ExtractSettings{}); });
  EXPECT_NE(inside.find("inside the videos folder"), std::string::npos) << inside;
}

// Per class: a seeded shuffle cut by largest remainder; independent of the
// input order; another seed gives another split.
TEST(AssignSplits, DeterministicPerClassCounts) {
  std::vector<SourceVideo> v;
  for (int i = 0; i < 10; ++i) v.push_back({"cello", "c" + std::to_string(i), {}});
  for (int i = 0; i < 7; ++i) v.push_back({"tuba", "t" + std::to_string(i), {}});
  const auto s = assign_splits(v, {0.8, 0.1, 0.1}, 5);
  std::map<std::string, std::array<int, 3>> count;
  for (size_t i = 0; i < v.size(); ++i) ++count[v[i].label][static_cast<size_t>(s[i])];
  EXPECT_EQ(count["cello"], (std::array<int, 3>{8, 1, 1}));
  EXPECT_EQ(count["tuba"], (std::array<int, 3>{5, 1, 1}));  // 5.6/0.7/0.7

  EXPECT_EQ(assign_splits(v, {0.8, 0.1, 0.1}, 5), s);
  std::vector<SourceVideo> reversed(v.rbegin(), v.rend());
  const auto r = assign_splits(reversed, {0.8, 0.1, 0.1}, 5);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(r[v.size() - 1 - i], s[i]);
  bool differs = false;
  for (uint64_t seed = 6; seed < 10 && !differs; ++seed)
    differs = assign_splits(v, {0.8, 0.1, 0.1}, seed) != s;
  EXPECT_TRUE(differs);
}

TEST(ExtractSettingsTest, ValidatesAndRoundTripsJson) {
  ExtractSettings s;
  s.name = "music";
  s.short_side = 256;
  s.split = {0.7, 0.2, 0.1};
  s.seed = 42;
  s.skip_bad = true;
  EXPECT_EQ(ExtractSettings::from_json(s.to_json()).to_json(), s.to_json());
  s.split = {0.7, 0.2, 0.2};
  EXPECT_NE(error_of([&] { s.validate(); }).find("add up to 1"), std::string::npos);
  s = {};
  s.name = "a,b";
  EXPECT_THROW(s.validate(), Error);
  s = {};
  s.jpeg_quality = 0;
  EXPECT_THROW(s.validate(), Error);
}

// Each `avr` start loads LibTorch (seconds), so two runs only; the library
// tests above cover the other errors.
TEST_F(Extract, CliExtractsAndExplainsMistakes) {
  test::TempDir out;
  const auto ok = test::run_avr("extract --videos '" + videos().string() + "' --out '" +
                                out.path().string() + "' --name toy --jobs 2 --split 0.5,0.5,0");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("extracted 3 videos"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("test: no rows"), std::string::npos) << ok.output;
  EXPECT_EQ(read_split_csv(out / "splits/toy_train.csv").size(), 2u);

  const auto split = test::run_avr("extract --videos '" + videos().string() + "' --out '" +
                                   out.path().string() + "' --split 0.5,0.5");
  EXPECT_EQ(split.exit_code, 1);
  EXPECT_NE(split.output.find("expected three ratios"), std::string::npos) << split.output;
}

}  // namespace
}  // namespace avr
