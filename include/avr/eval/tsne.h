// t-SNE (van der Maaten & Hinton, JMLR 2008), the 2-D maps of the paper's
// Fig. 5, 10 and 11: Gaussian affinities calibrated per point to a perplexity,
// symmetrized, matched by a Student-t map with early exaggeration, momentum
// and per-parameter gains, as in the authors' reference implementation.
//
// Exact, not Barnes-Hut: the figures embed at most a few thousand points
// (clips × groups). There the exact O(n²) gradient is affordable (~1–1.5 s per 100
// iterations at n = 2000 on one core, bench/bench_tsne), needs no
// space-partitioning tree or neighbour search, and has no θ trade-off that
// would change the picture. Memory is the n×n float64 P (72 MB at n = 3000;
// twice that while it is built); past ~10⁴ points use Barnes-Hut instead.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace avr {

struct TsneSettings {
  // Effective number of neighbours each point's Gaussian covers (2^entropy of
  // P_{·|i}); must be below n − 1, the number of other points.
  double perplexity = 30;
  int64_t iterations = 1000;
  // Gradient-descent step. 0: sklearn's "auto", max(n / early_exaggeration / 4, 50)
  // (Belkina et al. 2019); the reference implementation's fixed 200 is the other
  // common choice.
  double learning_rate = 0;
  // P is multiplied by this for the first `exaggeration_iterations`, which
  // forms well-separated clusters early (paper Sec. 3.4).
  double early_exaggeration = 12;
  int64_t exaggeration_iterations = 250;
  // Momentum during exaggeration, then after it.
  double initial_momentum = 0.5;
  double final_momentum = 0.8;
  double min_gain = 0.01;  // floor of the per-parameter step gains (Jacobs 1988)
  // Bisection on each point's Gaussian precision stops when |H(P_{·|i}) − log
  // perplexity| (nats) is below this, or after `bandwidth_steps` halvings.
  double entropy_tolerance = 1e-5;
  int64_t bandwidth_steps = 200;
  // KL(P‖Q) is recorded every this many iterations (and at the end of
  // exaggeration and the last iteration); each costs about one gradient.
  int64_t kl_every = 50;
  // The initial map is N(0, 1e-4²) drawn from avr::Rng(seed): same seed, same map.
  uint64_t seed = 0;

  // Throws avr::Error naming the field and the allowed values.
  void validate() const;
  // Also checks the perplexity fits `points` (and says the largest that does).
  void validate(int64_t points) const;
  // The step size used for `points` points (resolves learning_rate = 0).
  double effective_learning_rate(int64_t points) const;
};
void to_json(nlohmann::json& j, const TsneSettings& s);
// Missing keys keep their defaults; an unknown key is an error.
void from_json(const nlohmann::json& j, TsneSettings& s);

struct TsneKl {
  int64_t iteration = 0;  // after this many updates
  double kl = 0;          // KL(P‖Q) with the true (unexaggerated) P, nats
};

struct TsneResult {
  torch::Tensor embedding;  // [n, 2] float64 on the CPU, centered at the origin
  double kl = 0;            // KL(P‖Q) of the final map
  std::vector<TsneKl> kl_history;
  double learning_rate = 0;  // the step actually used
};

// Embeds the rows of `x` ([n, d], any floating dtype and device; n ≥ 3) in 2-D
// using Euclidean distances. The same input, settings and thread count give
// the same bits (every sum runs in a fixed order). Throws avr::Error for
// invalid settings or non-finite input.
TsneResult tsne(const torch::Tensor& x, const TsneSettings& settings = {});

// The conditional affinities P_{j|i} ([n, n] float64, rows sum to 1, zero
// diagonal) whose entropies match log(perplexity): the first step of tsne(),
// exposed so that its calibration can be checked.
torch::Tensor tsne_conditional_affinities(const torch::Tensor& x, double perplexity,
                                          double entropy_tolerance = 1e-5,
                                          int64_t bandwidth_steps = 200);

}  // namespace avr
