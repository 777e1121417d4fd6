// Reproducible randomness: xoshiro256** seeded through SplitMix64, with named
// sub-streams (rng.fork("synth/clip/17")). std::*_distribution differs between
// standard libraries, so every distribution here is our own arithmetic and the
// same seed gives the same numbers everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace avr {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  // An independent generator derived from this one's seed and a name; does not
  // advance this generator, so forks are stable whatever was drawn before.
  Rng fork(std::string_view name) const;
  Rng fork(uint64_t index) const;

  uint64_t next_u64();
  double uniform();                           // [0, 1)
  double uniform(double lo, double hi);       // [lo, hi)
  int64_t randint(int64_t lo, int64_t hi);    // inclusive [lo, hi]
  double normal();                            // N(0, 1), Box-Muller
  bool bernoulli(double p) { return uniform() < p; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// FNV-1a then SplitMix64: a stable 64-bit hash for names.
uint64_t hash_name(std::string_view name);

}  // namespace avr
