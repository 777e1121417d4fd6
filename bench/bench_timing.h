// Shared by the benchmarks: seconds per call of a function, wall and CPU. CPU
// time is printed too: on a shared machine wall time says little, CPU seconds
// per call (÷ threads) is what an idle machine would show.
#pragma once

#include <ctime>

#include "avr/core/timer.h"

namespace avr_bench {

struct Timing {
  double wall = 0, cpu = 0;  // seconds per call; cpu summed over threads
  int reps = 0;
};

// At least `min_reps` calls and `min_seconds`, no warm-up (the caller warms up).
template <typename F>
Timing time_calls(F&& f, int min_reps, double min_seconds) {
  avr::Timer t;
  const std::clock_t c0 = std::clock();
  int reps = 0;
  while (reps < min_reps || t.seconds() < min_seconds) {
    f();
    ++reps;
  }
  return {t.seconds() / reps, double(std::clock() - c0) / CLOCKS_PER_SEC / reps, reps};
}

}  // namespace avr_bench
