// Exclusive use of an output folder: an advisory lock (flock) on DIR/.avr.lock,
// held while the object lives. A second avr run pointed at a folder in use stops
// at once with a message naming the folder and the process holding it, instead of
// both runs writing the same checkpoints and cache entries. The kernel drops the
// lock when the holder exits, also after a crash or SIGKILL, so a lock file left
// behind never blocks a later run.
#pragma once

#include <filesystem>
#include <string>

namespace avr {

class OutputLock {
 public:
  // Creates `dir` if needed and takes its lock. `what` names the run in messages
  // ("avr study"). Throws avr::Error when another process (or another OutputLock
  // in this one) holds it, or when the lock file cannot be opened.
  OutputLock(const std::filesystem::path& dir, const std::string& what);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace avr
