#include "avr/eval/tsne.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/core/rng.h"

namespace avr {
namespace {

constexpr double kInitStd = 1e-4;  // the reference implementations' initial spread

// Squared Euclidean distances between rows, [n, n] float64, exact zeros on the diagonal.
torch::Tensor squared_distances(const torch::Tensor& x) {
  auto sq = (x * x).sum(1);
  auto d = torch::addmm(sq.unsqueeze(1) + sq.unsqueeze(0), x, x.t(), /*beta=*/1, /*alpha=*/-2);
  d.clamp_min_(0);  // cancellation can leave -1e-16
  d.fill_diagonal_(0);
  return d;
}

torch::Tensor as_cpu_double(const torch::Tensor& x) {
  AVR_CHECK(x.defined() && x.dim() == 2, "t-SNE input must be a [points, features] matrix, got ",
            x.defined() ? x.sizes() : c10::IntArrayRef{});
  AVR_CHECK(x.is_floating_point(), "t-SNE input must be floating point, got ", x.dtype());
  auto out = x.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  AVR_CHECK(torch::isfinite(out).all().item<bool>(),
            "t-SNE input has NaN or infinite values: check the features it was given");
  return out;
}

// One pass over the map for all points: the Student-t kernel
// num_ij = 1 / (1 + ‖y_i − y_j‖²) is recomputed on the fly, never stored, so an
// iteration reads P once (the n×n temporaries of a tensor formulation made it
// memory-bound and ~3× slower: 3.6 vs 1.1 s per 100 iterations at n = 2000
// in bench_tsne). Each row is summed by one thread in a fixed
// order, so the result does not depend on the number of threads.
struct RowSums {
  std::vector<double> z;     // Σ_j num_ij
  std::vector<double> attr;  // [n, 2] Σ_j p_ij num_ij (y_i − y_j)
  std::vector<double> rep;   // [n, 2] Σ_j num_ij² (y_i − y_j)
  std::vector<double> plog;  // Σ_j p_ij log(1 + ‖y_i − y_j‖²), for KL only
};

// Σ over j in [lo, hi) for row i, the inner loop free of branches so that it vectorizes.
template <bool kWithKl>
void accumulate(const double* pi, const double* y, double yi0, double yi1, int64_t lo, int64_t hi,
                double acc[6]) {
  double z = 0, a0 = 0, a1 = 0, b0 = 0, b1 = 0, pl = 0;
  for (int64_t j = lo; j < hi; ++j) {
    const double dx = yi0 - y[2 * j], dy = yi1 - y[2 * j + 1];
    const double d2 = dx * dx + dy * dy, q = 1.0 / (1.0 + d2);
    const double pq = pi[j] * q, qq = q * q;
    z += q;
    a0 += pq * dx, a1 += pq * dy;
    b0 += qq * dx, b1 += qq * dy;
    if constexpr (kWithKl) pl += pi[j] * std::log1p(d2);
  }
  acc[0] += z, acc[1] += a0, acc[2] += a1, acc[3] += b0, acc[4] += b1, acc[5] += pl;
}

RowSums row_sums(const double* p, const double* y, int64_t n, bool with_kl) {
  RowSums r;
  r.z.assign(n, 0.0);
  r.attr.assign(2 * n, 0.0);
  r.rep.assign(2 * n, 0.0);
  r.plog.assign(with_kl ? n : 0, 0.0);
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double yi0 = y[2 * i], yi1 = y[2 * i + 1];
      const double* pi = p + i * n;
      double acc[6] = {0, 0, 0, 0, 0, 0};
      auto range = with_kl ? accumulate<true> : accumulate<false>;
      range(pi, y, yi0, yi1, 0, i, acc);  // all j but i
      range(pi, y, yi0, yi1, i + 1, n, acc);
      r.z[i] = acc[0];
      r.attr[2 * i] = acc[1], r.attr[2 * i + 1] = acc[2];
      r.rep[2 * i] = acc[3], r.rep[2 * i + 1] = acc[4];
      if (with_kl) r.plog[i] = acc[5];
    }
  });
  return r;
}

double ordered_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

void TsneSettings::validate() const {
  AVR_CHECK(std::isfinite(perplexity) && perplexity > 1,
            "t-SNE perplexity must be > 1 (an effective neighbour count), got ", perplexity);
  AVR_CHECK(iterations >= 1, "t-SNE iterations must be ≥ 1, got ", iterations);
  AVR_CHECK(std::isfinite(learning_rate) && learning_rate >= 0,
            "t-SNE learning rate must be > 0, or 0 for auto (max(n/12/4, 50)), got ", learning_rate);
  AVR_CHECK(std::isfinite(early_exaggeration) && early_exaggeration >= 1,
            "t-SNE early exaggeration must be ≥ 1 (1: none; 12 is usual), got ", early_exaggeration);
  AVR_CHECK(exaggeration_iterations >= 0 && exaggeration_iterations <= iterations,
            "t-SNE exaggeration iterations must be in [0, iterations = ", iterations, "], got ",
            exaggeration_iterations);
  AVR_CHECK(initial_momentum >= 0 && initial_momentum < 1 && final_momentum >= 0 &&
                final_momentum < 1,
            "t-SNE momenta must be in [0, 1), got ", initial_momentum, " and ", final_momentum);
  AVR_CHECK(min_gain > 0 && min_gain <= 1, "t-SNE min gain must be in (0, 1], got ", min_gain);
  AVR_CHECK(entropy_tolerance > 0, "t-SNE entropy tolerance must be > 0, got ", entropy_tolerance);
  AVR_CHECK(bandwidth_steps >= 1, "t-SNE bandwidth steps must be ≥ 1, got ", bandwidth_steps);
  AVR_CHECK(kl_every >= 1, "t-SNE kl_every must be ≥ 1, got ", kl_every);
}

void TsneSettings::validate(int64_t points) const {
  validate();
  AVR_CHECK(points >= 3, "t-SNE needs at least 3 points, got ", points);
  // A point's conditional distribution spreads over n − 1 others, so its
  // perplexity (2^entropy) can only approach n − 1, reached at infinite bandwidth.
  AVR_CHECK(perplexity < static_cast<double>(points - 1), "t-SNE perplexity ", perplexity,
            " is too large for ", points, " points: it must be below ", points - 1,
            " (the number of other points); about ", std::max<int64_t>(2, (points - 1) / 3),
            " (a third of that) gives a readable map, or embed more points");
}

double TsneSettings::effective_learning_rate(int64_t points) const {
  if (learning_rate > 0) return learning_rate;
  return std::max(static_cast<double>(points) / early_exaggeration / 4.0, 50.0);
}

void to_json(nlohmann::json& j, const TsneSettings& s) {
  j = {{"perplexity", s.perplexity},
       {"iterations", s.iterations},
       {"learning_rate", s.learning_rate},
       {"early_exaggeration", s.early_exaggeration},
       {"exaggeration_iterations", s.exaggeration_iterations},
       {"initial_momentum", s.initial_momentum},
       {"final_momentum", s.final_momentum},
       {"min_gain", s.min_gain},
       {"entropy_tolerance", s.entropy_tolerance},
       {"bandwidth_steps", s.bandwidth_steps},
       {"kl_every", s.kl_every},
       {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, TsneSettings& s) {
  JsonFields f(j, "t-SNE settings");
  f.read("perplexity", s.perplexity);
  f.read("iterations", s.iterations);
  f.read("learning_rate", s.learning_rate);
  f.read("early_exaggeration", s.early_exaggeration);
  f.read("exaggeration_iterations", s.exaggeration_iterations);
  f.read("initial_momentum", s.initial_momentum);
  f.read("final_momentum", s.final_momentum);
  f.read("min_gain", s.min_gain);
  f.read("entropy_tolerance", s.entropy_tolerance);
  f.read("bandwidth_steps", s.bandwidth_steps);
  f.read("kl_every", s.kl_every);
  f.read("seed", s.seed);
  f.finish();
  s.validate();
}

torch::Tensor tsne_conditional_affinities(const torch::Tensor& x_in, double perplexity,
                                          double entropy_tolerance, int64_t bandwidth_steps) {
  const auto x = as_cpu_double(x_in);
  const int64_t n = x.size(0);
  TsneSettings check;
  check.perplexity = perplexity;
  check.entropy_tolerance = entropy_tolerance;
  check.bandwidth_steps = bandwidth_steps;
  check.validate(n);

  auto d = squared_distances(x);
  auto p = torch::zeros_like(d);
  const double* dist = d.data_ptr<double>();
  double* out = p.data_ptr<double>();
  const double target = std::log(perplexity);
  constexpr double inf = std::numeric_limits<double>::infinity();
  // The reference's bisection on each point's precision β_i = 1/(2σ_i²), one
  // row per task (rows are independent).
  at::parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    std::vector<double> di(n);
    for (int64_t i = begin; i < end; ++i) {
      // Distances minus the row's smallest: exp(−β d) then never underflows to
      // an all-zero row (the nearest neighbour gets exp(0) = 1), whatever the
      // scale of the features, and P_{·|i} is unchanged.
      double dmin = inf;
      for (int64_t j = 0; j < n; ++j)
        if (j != i) dmin = std::min(dmin, dist[i * n + j]);
      for (int64_t j = 0; j < n; ++j) di[j] = dist[i * n + j] - dmin;
      double beta = 1, lo = -inf, hi = inf, sum = 0;
      auto evaluate = [&] {  // fills out's row with exp(−β d), returns H(P_{·|i}) in nats
        double* row = out + i * n;
        double sdp = 0;
        sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          const double pj = j == i ? 0.0 : std::exp(-beta * di[j]);
          row[j] = pj;
          sum += pj;
          sdp += di[j] * pj;
        }
        return std::log(sum) + beta * sdp / sum;
      };
      for (int64_t step = 0; step < bandwidth_steps; ++step) {
        const double diff = evaluate() - target;
        if (std::abs(diff) <= entropy_tolerance) break;
        if (diff > 0) {  // entropy too high: narrow the Gaussian (raise β)
          lo = beta;
          beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
          hi = beta;
          beta = std::isinf(lo) ? beta / 2 : (beta + lo) / 2;
        }
      }
      // The row of the last evaluated β (the converged one, or the last try).
      for (int64_t j = 0; j < n; ++j) out[i * n + j] /= sum;
    }
  });
  return p;
}

TsneResult tsne(const torch::Tensor& x_in, const TsneSettings& s) {
  const auto x = as_cpu_double(x_in);
  const int64_t n = x.size(0);
  s.validate(n);
  TsneResult result;
  result.learning_rate = s.effective_learning_rate(n);

  // Symmetrized joint affinities p_ij = (p_{j|i} + p_{i|j}) / 2n (paper Sec. 3.1).
  auto cond = tsne_conditional_affinities(x, s.perplexity, s.entropy_tolerance, s.bandwidth_steps);
  auto p = (cond + cond.t()).div_(2.0 * n).contiguous();
  cond = torch::Tensor();
  // KL(P‖Q) = Σ p log p + Σ p log(1 + ‖y_i − y_j‖²) + log Z: the first term is fixed.
  const double p_log_p = torch::xlogy(p, p).sum().item<double>();

  // Our own normal draws, not torch's: the same seed gives the same start on
  // every machine and LibTorch version.
  Rng rng = Rng(s.seed).fork("tsne/init");
  auto y = torch::empty({n, 2}, torch::kFloat64);
  for (int64_t k = 0; k < 2 * n; ++k) y.data_ptr<double>()[k] = kInitStd * rng.normal();

  auto update = torch::zeros_like(y), gains = torch::ones_like(y);
  double scale = s.exaggeration_iterations > 0 ? s.early_exaggeration : 1.0;
  p.mul_(scale);
  const double* pp = p.data_ptr<double>();

  auto record_kl = [&](int64_t iteration) {
    const RowSums r = row_sums(pp, y.data_ptr<double>(), n, /*with_kl=*/true);
    const double kl = p_log_p + ordered_sum(r.plog) / scale + std::log(ordered_sum(r.z));
    result.kl_history.push_back({iteration, kl});
  };

  for (int64_t it = 0; it < s.iterations; ++it) {
    if (it == s.exaggeration_iterations && scale != 1.0) {
      p.div_(scale);
      scale = 1.0;
    }
    // ∂C/∂y_i = 4 Σ_j (p_ij − num_ij / Z) num_ij (y_i − y_j).
    const RowSums r = row_sums(pp, y.data_ptr<double>(), n, /*with_kl=*/false);
    const double z = ordered_sum(r.z);
    auto grad = torch::empty({n, 2}, torch::kFloat64);
    double* g = grad.data_ptr<double>();
    for (int64_t k = 0; k < 2 * n; ++k) g[k] = 4 * (r.attr[k] - r.rep[k] / z);

    // Gains grow where the gradient keeps its direction relative to the last
    // step and shrink where it flips (reference implementation, Jacobs 1988).
    auto same_direction = (grad * update) < 0;
    gains = torch::where(same_direction, gains + 0.2, gains * 0.8).clamp_min_(s.min_gain);
    const double momentum =
        it < s.exaggeration_iterations ? s.initial_momentum : s.final_momentum;
    update.mul_(momentum).sub_(gains * grad, result.learning_rate);
    y.add_(update);
    y.sub_(y.mean(0, /*keepdim=*/true));  // the cost is translation invariant; keep it centered

    const int64_t done = it + 1;
    if (done == s.exaggeration_iterations || done % s.kl_every == 0 || done == s.iterations)
      record_kl(done);
  }
  AVR_ASSERT(torch::isfinite(y).all().item<bool>(), "t-SNE diverged (non-finite map)");
  result.kl = result.kl_history.back().kl;
  result.embedding = y;
  return result;
}

}  // namespace avr
