#include "avr/core/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace avr {
namespace {
std::atomic<bool> g_enabled{true};

std::string format_seconds(double s) {
  char buf[32];
  if (s < 0 || s > 1e7) return "?";
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", t / 3600, (t / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  return buf;
}
}  // namespace

void Progress::set_enabled(bool enabled) { g_enabled = enabled; }

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_print_(start_),
      tty_(::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t n, const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (!status.empty()) status_ = status;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (tty_ ? 0.2 : 10.0)) {
    last_print_ = now;
    print(false);
  }
}

void Progress::finish(const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (!status.empty()) status_ = status;
  print(true);
}

void Progress::print(bool final_line) {
  if (!g_enabled) return;
  const double el = elapsed_s();
  const double rate = el > 0 ? static_cast<double>(done_) / el : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
  std::fprintf(stderr, "%s%s %lld/%lld %s  %.1f %s/s  %s %s  %s%s", tty_ ? "\r\033[K" : "",
               label_.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
               unit_.c_str(), rate, unit_.c_str(), final_line ? "took" : "ETA",
               format_seconds(final_line ? el : eta).c_str(), status_.c_str(),
               (final_line || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace avr
