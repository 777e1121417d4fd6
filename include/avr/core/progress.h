// Progress of long work on stderr: done/total, rate, ETA and a caller's
// status (loss, accuracy). Quiet when stderr is not a terminal except for a
// line every few seconds, so logs of CI and batch jobs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace avr {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  void advance(int64_t n = 1, const std::string& status = "");
  void finish(const std::string& status = "");
  double elapsed_s() const;
  static void set_enabled(bool enabled);

 private:
  void print(bool final_line);
  std::string label_, unit_, status_;
  int64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool finished_ = false;
  bool tty_;
  std::mutex mu_;
};

}  // namespace avr
