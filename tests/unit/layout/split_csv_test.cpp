#include "avr/layout/split_csv.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/layout/dataset_layout.h"
#include "test_support.h"

namespace avr {
namespace {

// The error read_split_csv gives for `text`, or "(no error)".
std::string csv_error(const std::string& text) {
  test::TempDir dir;
  write_file_atomic(dir / "s.csv", text);
  try {
    read_split_csv(dir / "s.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SplitCsv, RoundTripAndLayoutPaths) {
  test::TempDir dir;
  const std::vector<SplitRow> rows = {{"/violin/a1.wav", "/violin/a1.mp4", 80},
                                      {"/erhu/b 2.wav", "/erhu/b 2.mp4", 3}};
  write_split_csv(dir / "x.csv", rows);
  EXPECT_EQ(read_text_file(dir / "x.csv"), "/violin/a1.wav,/violin/a1.mp4,80\n/erhu/b 2.wav,/erhu/b 2.mp4,3\n");
  const auto back = read_split_csv(dir / "x.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].frames, "/erhu/b 2.mp4");
  EXPECT_EQ(back[1].frame_count, 3);
  EXPECT_EQ(back[0].label(), "violin");
  EXPECT_EQ(class_names(back), (std::vector<std::string>{"erhu", "violin"}));
  const auto l = DatasetLayout::under("/d");
  EXPECT_EQ(l.audio_path(back[0]), "/d/audio/violin/a1.wav");
  EXPECT_EQ(l.frame_path(back[0], 7), "/d/frames/violin/a1.mp4/000007.jpg");
}

TEST(SplitCsv, ToleratesCrlfAndBlankLines) {
  EXPECT_EQ(csv_error("/a/x.wav,/a/x.mp4,5\r\n\r\n/b/y.wav,/b/y.mp4,6\r\n"), "(no error)");
}

// Fixed fault: a CSV saved with a UTF-8 byte-order mark failed naming an invisible
// class ("\xEF\xBB\xBFa"). The mark is skipped; the first row's class is "a".
TEST(SplitCsv, SkipsAUtf8ByteOrderMark) {
  test::TempDir dir;
  write_file_atomic(dir / "bom.csv", "\xEF\xBB\xBF/a/x.wav,/a/x.mp4,5\n/b/y.wav,/b/y.mp4,6\n");
  const auto rows = read_split_csv(dir / "bom.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label(), "a");
  EXPECT_EQ(rows[0].audio, "/a/x.wav");
}

// Each broken row is reported as <file>:<1-based row>, with what is wrong.
TEST(SplitCsv, BadRowsNameFileAndRow) {
  const std::string ok = "/a/x.wav,/a/x.mp4,5\n";
  const std::string two = csv_error(ok + "/a/y.wav,/a/y.mp4\n");
  EXPECT_NE(two.find("s.csv:2: expected 3 fields"), std::string::npos) << two;
  EXPECT_NE(two.find("got 2"), std::string::npos) << two;
  const std::string four = csv_error(ok + ok + "/a/y.wav,/a/y.mp4,5,9\n");
  EXPECT_NE(four.find("s.csv:3: expected 3 fields"), std::string::npos) << four;
  const std::string nan = csv_error(ok + "/a/y.wav,/a/y.mp4,twelve\n");
  EXPECT_NE(nan.find("s.csv:2: frame count 'twelve' is not a whole number"), std::string::npos)
      << nan;
  const std::string partial = csv_error("/a/y.wav,/a/y.mp4,12x\n");
  EXPECT_NE(partial.find("s.csv:1: frame count '12x'"), std::string::npos) << partial;
  const std::string zero = csv_error("/a/y.wav,/a/y.mp4,0\n");
  EXPECT_NE(zero.find("s.csv:1: frame count must be positive"), std::string::npos) << zero;
  const std::string mixed = csv_error(ok + "/cello/y.wav,/violin/y.mp4,5\n");
  EXPECT_NE(mixed.find("s.csv:2: audio class 'cello' and frames class 'violin' differ"),
            std::string::npos)
      << mixed;
  const std::string empty = csv_error("/a/y.wav,,5\n");
  EXPECT_NE(empty.find("s.csv:1: empty path"), std::string::npos) << empty;
  const std::string flat = csv_error("/y.wav,/y.mp4,5\n");
  EXPECT_NE(flat.find("s.csv:1:"), std::string::npos) << flat;
  EXPECT_NE(flat.find("has no class folder"), std::string::npos) << flat;
  EXPECT_NE(csv_error("\n\n").find("has no rows"), std::string::npos);
}

TEST(SplitCsv, MissingFileIsAnErrorNamingIt) {
  try {
    read_split_csv("/nonexistent/music_train.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("split file not found"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("music_train.csv"), std::string::npos);
  }
}

// The split files shipped with the project (the originals') all parse.
TEST(SplitCsv, ShippedOriginalSplitsParse) {
  const auto rows = read_split_csv(test::source_dir() / "data/splits/music_test.csv");
  EXPECT_EQ(rows.size(), 104u);
  EXPECT_EQ(class_names(rows).size(), 11u);
}

}  // namespace
}  // namespace avr
