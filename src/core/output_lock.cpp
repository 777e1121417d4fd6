#include "avr/core/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {

OutputLock::OutputLock(const std::filesystem::path& dir, const std::string& what) {
  ensure_dir(dir);
  path_ = dir / ".avr.lock";
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  AVR_CHECK(fd_ >= 0, "cannot open the lock file ", path_, ": ", std::strerror(errno),
            " (is the output folder writable?)");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder;
    {
      std::ifstream in(path_);
      std::getline(in, holder);
    }
    ::close(fd_);
    fd_ = -1;
    AVR_CHECK(err != EWOULDBLOCK, "output folder ", dir, " is in use by another run (",
              holder.empty() ? std::string("unknown process") : holder,
              "); wait for it to finish, or give this run another --out");
    AVR_FAIL("cannot lock the output folder ", dir, ": ", std::strerror(err));
  }
  // Who holds it, for the message a second run prints.
  std::ostringstream me;
  me << what << ", pid " << ::getpid();
  const std::string text = me.str() + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    const ssize_t ignored = ::pwrite(fd_, text.data(), text.size(), 0);
    (void)ignored;  // the lock is what matters; the text only helps the message
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace avr
