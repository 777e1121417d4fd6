// One run per output folder: a second lock on a folder in use is a clear error;
// the lock goes with its holder (also when the holder is killed).
#include "avr/core/output_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "avr/core/error.h"
#include "test_support.h"

namespace avr {
namespace {

TEST(OutputLock, ASecondHolderIsRefusedNamingTheFolderAndTheHolder) {
  test::TempDir dir;
  auto first = std::make_unique<OutputLock>(dir / "out", "avr study");
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / ".avr.lock"));
  try {
    OutputLock second(dir / "out", "avr train");
    FAIL() << "a folder in use must be refused";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is in use by another run"), std::string::npos) << m;
    EXPECT_NE(m.find("out"), std::string::npos) << m;
    EXPECT_NE(m.find("avr study, pid"), std::string::npos) << m;
  }
  first.reset();  // released: the lock file stays, but no longer blocks
  EXPECT_NO_THROW(OutputLock again(dir / "out", "avr train"));
  // Other folders are independent.
  OutputLock a(dir / "a", "x");
  EXPECT_NO_THROW(OutputLock b(dir / "b", "y"));
}

TEST(OutputLock, AKilledHolderLeavesNoLockBehind) {
  test::TempDir dir;
  const auto out = dir / "out";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // takes the lock, says so, then waits to be killed
    OutputLock lock(out, "avr study (child)");
    const char c = 'x';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_THROW(OutputLock held(out, "avr study"), Error);  // held by the child
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_NO_THROW(OutputLock after(out, "avr study"));  // the kernel dropped it
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace avr
