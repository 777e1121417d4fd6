#include "avr/core/fs.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "test_support.h"

namespace avr {

TEST(Fs, AtomicWriteReplacesAndLeavesNoTemporaries) {
  test::TempDir dir;
  const auto p = dir / "sub/result.json";
  write_file_atomic(p, "one");
  write_file_atomic(p, "two");
  EXPECT_EQ(read_text_file(p), "two");
  int files = 0;
  for (auto& e : fs::directory_iterator(p.parent_path())) (void)e, ++files;
  EXPECT_EQ(files, 1);
}

TEST(Fs, FailedWriterKeepsTheOldFile) {
  test::TempDir dir;
  const auto p = dir / "ckpt.bin";
  write_file_atomic(p, "good");
  EXPECT_THROW(write_atomic_with(p, [](const fs::path& tmp) {
                 write_file_atomic(tmp, "half");
                 AVR_FAIL("killed mid-write");
               }),
               Error);
  EXPECT_EQ(read_text_file(p), "good");
}

TEST(Fs, MissingFileErrorNamesThePath) {
  try {
    read_text_file("/nonexistent/avr/file.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/avr/file.txt"), std::string::npos);
  }
}

TEST(Fs, BulkWritesStayAtomicAndAFlushNamesAMissingPath) {
  test::TempDir dir;
  {
    BulkWriteScope bulk;
    write_file_atomic(dir / "a/frame.jpg", "one");
    write_file_atomic(dir / "a/frame.jpg", "two");
  }
  EXPECT_EQ(read_text_file(dir / "a/frame.jpg"), "two");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir / "a")) (void)e, ++files;
  EXPECT_EQ(files, 1);
  EXPECT_NO_THROW(sync_filesystem(dir.path()));
  try {
    sync_filesystem("/nonexistent/avr/dir");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/avr/dir"), std::string::npos);
  }
}

}  // namespace avr
