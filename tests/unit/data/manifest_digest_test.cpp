// Split files that `avr synth` listed in manifest.json with their SHA-256 are
// checked against it when a dataset opens them.
#include <gtest/gtest.h>

#include <fstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"
#include "avr/data/dataset.h"
#include "fixture.h"

namespace avr {
namespace {

void write_manifest(const test::TempDir& dir) {
  nlohmann::json files = nlohmann::json::object();
  for (const std::string split : {"train", "val", "test"}) {
    const std::string rel = "splits/tiny_" + split + ".csv";
    files[split] = {{"path", rel}, {"sha256", sha256_file(dir / rel)}, {"rows", 4}};
  }
  write_file_atomic(dir / "manifest.json", nlohmann::json{{"files", files}}.dump());
}

TEST(ManifestDigests, AnEditedSplitFileIsRefusedNamingBothFiles) {
  test::TempDir dir;
  test::write_tiny_dataset(dir, 2);
  write_manifest(dir);
  DatasetSpec spec;
  spec.name = "tiny";
  spec.root = dir.path();
  spec = spec.resolved();
  const auto classes = dataset_classes(spec);
  EXPECT_EQ(AvDataset(spec, "train", classes).size(), 4);

  // One row's frame count 8 → 6: still a valid CSV, another input.
  const auto file = dir / "splits/tiny_train.csv";
  std::string text = read_text_file(file);
  const size_t at = text.find(",8");
  ASSERT_NE(at, std::string::npos);
  text[at + 1] = '6';
  write_file_atomic(file, text);
  const std::string e = test::error_of([&] { AvDataset(spec, "train", classes); });
  EXPECT_NE(e.find("split file \"" + file.string() + "\" does not match the SHA-256 that"), std::string::npos) << e;
  EXPECT_NE(e.find("manifest.json\" recorded"), std::string::npos) << e;
  // The other splits still open; a split directory given elsewhere is not checked.
  EXPECT_EQ(AvDataset(spec, "val", classes).size(), 4);
}

}  // namespace
}  // namespace avr
