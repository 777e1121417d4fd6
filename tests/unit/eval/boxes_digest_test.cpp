// boxes.json as `avr synth` wrote it is checked against manifest.json's SHA-256.
#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"
#include "avr/eval/localization_boxes.h"
#include "test_support.h"

namespace avr {
namespace {

TEST(LocalizationBoxes, AnEditedBoxesFileIsRefusedWhenTheManifestListsIt) {
  test::TempDir dir;
  const std::string good = R"({"frame_width": 40, "frame_height": 40, "boxes": {"/a/1.mp4": [[1, 2, 3, 4]]}})";
  write_file_atomic(dir / "boxes.json", good);
  write_file_atomic(dir / "manifest.json",
                    nlohmann::json{{"files", {{"boxes", {{"path", "boxes.json"}, {"sha256", sha256_hex(good)}}}}}}.dump());
  EXPECT_DOUBLE_EQ(read_box_table(dir / "boxes.json").frame_box("/a/1.mp4", 1).x1, 3.0);
  std::string edited = good;
  edited[edited.find("3, 4")] = '9';  // x1 3 → 9: valid JSON, another box
  write_file_atomic(dir / "boxes.json", edited);
  const std::string e = test::error_of([&] { read_box_table(dir / "boxes.json"); });
  EXPECT_NE(e.find((dir / "boxes.json").string() + " does not match the SHA-256 that"), std::string::npos) << e;
  // Without a manifest (a boxes file given with --boxes from elsewhere) it is read as it is.
  std::filesystem::remove(dir / "manifest.json");
  EXPECT_DOUBLE_EQ(read_box_table(dir / "boxes.json").frame_box("/a/1.mp4", 1).x1, 9.0);
}

}  // namespace
}  // namespace avr
