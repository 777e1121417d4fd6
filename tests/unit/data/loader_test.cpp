#include "avr/data/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "fixture.h"

namespace avr {

namespace {
ClipSettings small_clip() {
  ClipSettings s;
  s.image_size = 16;
  s.audio_length = 1024;
  return s;
}

std::vector<Batch> epoch(BatchLoader& l, int64_t e) {
  std::vector<Batch> out;
  l.start_epoch(e);
  while (auto b = l.next()) out.push_back(*b);
  return out;
}
}  // namespace

TEST(Loader, CoversEveryClipOncePerEpochWithRightShapes) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 5);
  AvDataset ds(spec, "train", dataset_classes(spec));
  LoaderSettings ls;
  ls.batch_size = 4;
  ls.shuffle = true;
  BatchLoader loader(ds, small_clip(), ls);
  auto batches = epoch(loader, 0);
  ASSERT_EQ(static_cast<int64_t>(batches.size()), loader.batches_per_epoch());
  std::multiset<int64_t> seen;
  for (auto& b : batches) {
    EXPECT_EQ(b.frames.size(1), 3);
    EXPECT_EQ(b.frames.size(2), 16);
    EXPECT_EQ(b.audio.size(1), 1024);
    for (int64_t i = 0; i < b.indices.size(0); ++i) {
      const int64_t idx = b.indices[i].item<int64_t>();
      seen.insert(idx);
      EXPECT_EQ(b.labels[i].item<int64_t>(), ds.label(idx));
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 10u);
}

TEST(Loader, SameBatchesForAnyWorkerCountAndDifferentOrderPerEpoch) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 5);
  AvDataset ds(spec, "train", dataset_classes(spec));
  LoaderSettings ls;
  ls.batch_size = 3;
  ls.shuffle = true;
  ls.train_transforms = true;
  ls.seed = 11;
  ls.workers = 1;
  BatchLoader one(ds, small_clip(), ls);
  ls.workers = 3;
  BatchLoader three(ds, small_clip(), ls);
  auto a = epoch(one, 2), b = epoch(three, 2);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].indices, b[i].indices));
    EXPECT_TRUE(torch::equal(a[i].frames, b[i].frames));
    EXPECT_TRUE(torch::equal(a[i].audio, b[i].audio));
  }
  auto c = epoch(one, 3);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) differs |= !torch::equal(a[i].indices, c[i].indices);
  EXPECT_TRUE(differs);
}

TEST(Loader, WorkerErrorReachesTheCaller) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 4);
  AvDataset ds(spec, "train", dataset_classes(spec));
  fs::remove(ds.layout().audio_path(ds.row(5)));
  LoaderSettings ls;
  ls.batch_size = 2;
  BatchLoader loader(ds, small_clip(), ls);
  loader.start_epoch(0);
  EXPECT_THROW(
      {
        while (loader.next()) {
        }
      },
      Error);
}

TEST(Dataset, UnknownClassAndMissingSplitAreClearErrors) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir);
  try {
    AvDataset ds(spec, "test", {"cello"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flute"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tiny_test.csv"), std::string::npos) << e.what();
  }
  DatasetSpec bad = spec;
  bad.name = "nosuch";
  bad.splits_dir.clear();
  EXPECT_THROW(bad.resolved(), Error);
}

TEST(Dataset, ShippedSplitFilesParse) {
  for (const std::string name : {"music", "kinetics", "ave"}) {
    for (const std::string split : {"train", "val", "test"}) {
      auto rows = read_split_csv(shipped_splits_dir() / (name + "_" + split + ".csv"));
      EXPECT_GT(rows.size(), 100u) << name << split;
    }
  }
  EXPECT_EQ(class_names(read_split_csv(shipped_splits_dir() / "music_train.csv")).size(), 11u);
}

}  // namespace avr
