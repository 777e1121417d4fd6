// Internal to lasso_active_set.cpp (and its standalone benchmarks): one clip's active-set
// Newton Lasso solve on raw double arrays, no LibTorch. See include/avr/defenses/lasso.h.
//
// Why by hand: Debian has no maintained Lasso library with a C/C++ API that takes a cached
// Gram matrix and solves to a certified duality gap (`apt-cache search lasso` finds nothing;
// liblbfgs/glmnet-style codes are R/Python packages), and the batch invariance ExFMem needs
// (a clip's bits never depend on its batch-mates) rules out batched BLAS calls anyway.
//
// The method (a primal active-set method in the spirit of Osborne, Presnell & Turlach 2000
// and feature-sign search, Lee et al. 2007, with Newton steps on the Gram matrix):
//   1. With c = Mᵀ(f − M h) exact, certify: duality gap ≤ tol·P(h) stops the clip.
//   2. Add the inactive atoms j with |c_j| > λ (the largest violators first, up to a quarter
//      of the room left below min(k, d + 8)) with sign s_j = sign(c_j); the Cholesky factor of G_AA + μI
//      grows by one row per atom (μ = 1e-10·max G_jj keeps it defined when columns are
//      dependent, so a dependent violator can join and be swapped in; a column already in the span of the active ones is left out this round).
//   3. Newton step on the active set: G_AA Δ = c_A − λ s_A (the optimum for the signs s_A).
//   4. Exact line search on the objective along h + tΔ, t ∈ [0, 1]: it is convex and
//      piecewise quadratic, with kinks where coordinates cross zero. Coordinates that end at
//      zero leave the active set (a Givens downdate of the factor); signs follow h.
//   5. A full step (t = 1) goes back to 1, a partial one repeats 3 on the smaller set. If a
//      step made no progress, the next round adds only the single largest violator, whose
//      Newton direction provably descends (its own coordinate has the right sign).
// Every step lowers the objective; the certificate decides, not the iteration count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

namespace avr::lasso_impl {

// Σ a_i·b_i with eight independent accumulators, a fixed order for a given n: the same bits
// for the same inputs, whatever thread runs it.
__attribute__((target_clones("avx512f", "avx2", "default"))) inline double dot(const double* a,
                                                                               const double* b,
                                                                               int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int q = 0; q < 8; ++q) acc[q] += a[i + q] * b[i + q];
  double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += a·x
__attribute__((target_clones("avx512f", "avx2", "default"))) inline void axpy(double a,
                                                                              const double* x,
                                                                              double* y,
                                                                              int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Forward substitution of the factor's first n rows (row stride `cap`) against kBlock
// right-hand sides at once: x [n][kBlock] holds the right-hand sides and receives L⁻¹x. Each
// row of L is read once; x stays in L2.
template <int64_t kBlock>
__attribute__((target_clones("avx512f", "avx2", "default"))) inline void forward_block(
    const double* L, int64_t cap, int64_t n, double* x) {
  for (int64_t i = 0; i < n; ++i) {
    const double* li = L + i * cap;
    double acc[kBlock] = {};
    for (int64_t l = 0; l < i; ++l) {
      const double v = li[l];
      const double* xl = x + l * kBlock;
      for (int64_t c = 0; c < kBlock; ++c) acc[c] += v * xl[c];
    }
    double* xi = x + i * kBlock;
    for (int64_t c = 0; c < kBlock; ++c) xi[c] = (xi[c] - acc[c]) / li[i];
  }
}

struct Problem {
  const double* G = nullptr;  // [k,k] Gram matrix MᵀM, symmetric, row-major
  int64_t k = 0;
  // Most active atoms: min(k, d + 8). An optimum needs at most d independent columns; the
  // few more let a dependent column join so that the line search can swap it in.
  int64_t capacity = 0;
  double lambda = 0;
  double f_norm2 = 0;  // ‖f‖²
  double tol = 1e-6;   // stop at duality gap ≤ tol·objective
  int64_t max_steps = 2000;
};

struct Outcome {
  int64_t steps = 0;  // Newton steps
  bool converged = false;
  double objective = 0, gap = 0;  // from the solver's own exact c (the caller re-certifies)
};

// The Cholesky factor of G_AA + μI for the active atoms, grown and shrunk one atom at a time.
class Factor {
 public:
  // Room for `capacity` atoms; keeps the storage when it is the same.
  void reset(int64_t capacity) {
    if (capacity != cap_) L_.assign(static_cast<size_t>(capacity * capacity), 0.0);
    cap_ = capacity;
    n_ = 0;
  }
  int64_t size() const { return n_; }
  bool full() const { return n_ == cap_; }

  // Appends atom j (G's row j gathered at `atoms`); false if the column is numerically in the
  // span of the active ones (the pivot is at rounding level).
  bool add(const double* G, int64_t k, const std::vector<int64_t>& atoms, int64_t j, double mu) {
    if (full()) return false;
    const double* gj = G + j * k;
    double* row = L_.data() + n_ * cap_;
    for (int64_t i = 0; i < n_; ++i) {
      const double* li = L_.data() + i * cap_;
      row[i] = (gj[atoms[static_cast<size_t>(i)]] - dot(li, row, i)) / li[i];
    }
    const double pivot = gj[j] + mu - dot(row, row, n_);
    if (!(pivot > 0.5 * mu) || !(pivot > 1e-13 * gj[j])) return false;
    row[n_] = std::sqrt(pivot);
    ++n_;
    return true;
  }

  // Appends candidates[0..count) in order, skipping those add() would refuse, until `limit`
  // joined or the factor is full; the joined atoms go to the end of `atoms` and of `joined`
  // (if given). Returns how many joined. The same factor as calling add() one by one, up to
  // rounding: the forward substitutions of a block of kBlock candidates against the existing
  // rows share one pass over the factor (a triangular solve with kBlock right-hand sides in
  // L2), where add() streams the whole factor once per atom; for the ~510 atoms of an ADMM
  // warm start (d = 512, k = 1024) it took 3.1 ms of CPU per clip instead of 6.3 (40 clips,
  // load ~5). The order of every sum is fixed by the block's place in `candidates`, never by
  // another clip or thread.
  static constexpr int64_t kBlock = 32;
  int64_t add_many(const double* G, int64_t k, std::vector<int64_t>& atoms,
                   const int64_t* candidates, int64_t count, int64_t limit, double mu,
                   std::vector<int64_t>* joined = nullptr) {
    int64_t added = 0;
    for (int64_t c0 = 0; c0 < count && added < limit && !full(); c0 += kBlock) {
      // No more candidates than can still join (a refusal costs one more pass).
      const int64_t width = std::min({kBlock, count - c0, limit - added});
      const int64_t n0 = n_;
      const int64_t* cand = candidates + c0;
      // X[i][c] = (L⁻¹ G_{A,cand})[i][c] for the n0 existing rows, all candidates together.
      x_.assign(static_cast<size_t>(n0 * kBlock), 0.0);
      for (int64_t i = 0; i < n0; ++i) {
        const int64_t ai = atoms[static_cast<size_t>(i)];
        for (int64_t c = 0; c < width; ++c)
          x_[static_cast<size_t>(i * kBlock + c)] = G[cand[c] * k + ai];
      }
      forward_block<kBlock>(L_.data(), cap_, n0, x_.data());
      // Each candidate in order: its row continues against the rows joined from this block.
      for (int64_t c = 0; c < width && added < limit && !full(); ++c) {
        const int64_t j = cand[c];
        const double* gj = G + j * k;
        double* row = L_.data() + n_ * cap_;
        for (int64_t i = 0; i < n0; ++i) row[i] = x_[static_cast<size_t>(i * kBlock + c)];
        for (int64_t i = n0; i < n_; ++i) {
          const double* li = L_.data() + i * cap_;
          row[i] = (gj[atoms[static_cast<size_t>(i)]] - dot(li, row, i)) / li[i];
        }
        const double pivot = gj[j] + mu - dot(row, row, n_);
        if (!(pivot > 0.5 * mu) || !(pivot > 1e-13 * gj[j])) continue;
        row[n_] = std::sqrt(pivot);
        ++n_;
        atoms.push_back(j);
        if (joined) joined->push_back(j);
        ++added;
      }
    }
    return added;
  }

  // Removes position p (Givens rotations restore the triangle).
  void remove(int64_t p) {
    for (int64_t r = p; r + 1 < n_; ++r)
      std::memmove(L_.data() + r * cap_, L_.data() + (r + 1) * cap_,
                   static_cast<size_t>(r + 2) * sizeof(double));
    const int64_t m = n_ - 1;  // rows; row r holds columns 0..r+1 for r ≥ p
    for (int64_t i = p; i < m; ++i) {
      double* ri = L_.data() + i * cap_;
      const double a = ri[i], b = ri[i + 1];
      const double rho = std::hypot(a, b);
      const double c = a / rho, s = b / rho;
      ri[i] = rho;
      ri[i + 1] = 0;
      for (int64_t r = i + 1; r < m; ++r) {
        double* rr = L_.data() + r * cap_;
        const double x = rr[i], y = rr[i + 1];
        rr[i] = c * x + s * y;
        rr[i + 1] = -s * x + c * y;
      }
    }
    n_ = m;
  }

  // x = (L Lᵀ)⁻¹ y in place.
  void solve(double* y) const {
    for (int64_t i = 0; i < n_; ++i) {
      const double* li = L_.data() + i * cap_;
      y[i] = (y[i] - dot(li, y, i)) / li[i];
    }
    for (int64_t i = n_ - 1; i >= 0; --i) {
      const double* li = L_.data() + i * cap_;
      y[i] /= li[i];
      axpy(-y[i], li, y, i);
    }
  }

 private:
  int64_t cap_ = 0, n_ = 0;
  std::vector<double> L_, x_;
};

struct Workspace {
  Factor factor;
  std::vector<double> c, delta, e, hA;
  std::vector<int64_t> atoms, order, joined;
  std::vector<signed char> sign, active;  // per atom: assigned sign, and membership
  std::vector<signed char> stalled;       // per atom: joined alone without progress, lately
  std::vector<std::pair<double, int64_t>> kinks;

  void reset(int64_t k, int64_t capacity) {
    factor.reset(capacity);
    c.assign(static_cast<size_t>(k), 0.0);
    sign.assign(static_cast<size_t>(k), 0);
    active.assign(static_cast<size_t>(k), 0);
    stalled.assign(static_cast<size_t>(k), 0);
    atoms.clear();
  }
};

// c = b − G h over the active atoms, exactly (a fixed order: atoms in the order they sit).
inline void exact_correlation(const Problem& p, const double* b, const double* h,
                              const std::vector<int64_t>& atoms, double* c) {
  std::copy(b, b + p.k, c);
  for (int64_t j : atoms) axpy(-h[j], p.G + j * p.k, c, p.k);
}

// Objective and duality gap from exact c = Mᵀr: ‖r‖² = ‖f‖² − hᵀb − hᵀc; θ = r·min(1, λ/‖c‖∞);
// D(θ) = fᵀθ − ½‖θ‖² = ½‖f‖² − ½‖f − θ‖².
inline void certificate(const Problem& p, const double* b, const double* h, const double* c,
                        const std::vector<int64_t>& atoms, double& objective, double& gap) {
  double hb = 0, hc = 0, l1 = 0, cmax = 0;
  for (int64_t j : atoms) {
    hb += h[j] * b[j];
    hc += h[j] * c[j];
    l1 += std::abs(h[j]);
  }
  for (int64_t j = 0; j < p.k; ++j) cmax = std::max(cmax, std::abs(c[j]));
  const double r2 = std::max(0.0, p.f_norm2 - hb - hc);
  objective = 0.5 * r2 + p.lambda * l1;
  const double alpha = cmax > p.lambda ? p.lambda / cmax : 1.0;
  const double dual = alpha * (p.f_norm2 - hb) - 0.5 * alpha * alpha * r2;
  gap = std::max(0.0, objective - dual);
}

// Minimizes φ(t) = −t·slope0 + ½t²·curv + λ Σ_i |h_i + t Δ_i| over t ∈ [0, 1]. φ is convex;
// walks its kinks in order. slope0 = Δᵀc_A, curv = ΔᵀG_AAΔ.
inline double line_search(const Problem& p, const double* hA, const double* delta, int64_t n,
                          double slope0, double curv,
                          std::vector<std::pair<double, int64_t>>& kinks) {
  kinks.clear();
  double l1_slope = 0;  // d/dt of λΣ|h + tΔ| just right of t = 0
  for (int64_t i = 0; i < n; ++i) {
    const double h = hA[i], d = delta[i];
    if (d == 0) continue;
    if (h == 0) {
      l1_slope += std::abs(d);
    } else {
      l1_slope += h > 0 ? d : -d;
      const double t = -h / d;
      if (t > 0 && t < 1) kinks.emplace_back(t, i);
    }
  }
  std::sort(kinks.begin(), kinks.end());
  double slope = -slope0 + p.lambda * l1_slope;  // φ'(t) = slope + curv·t on the current piece
  double lo = 0;
  for (const auto& [t, i] : kinks) {
    if (slope + curv * t >= 0) break;  // the minimum is on [lo, t]
    lo = t;
    slope += 2 * p.lambda * std::abs(delta[i]);  // |h_i + tΔ_i| turns from falling to rising
  }
  double hi = 1;
  for (const auto& kt : kinks)
    if (kt.first > lo) {
      hi = kt.first;
      break;
    }
  if (slope + curv * lo >= 0) return lo;
  if (curv <= 0) return hi;
  return std::min(hi, -slope / curv);
}

// Solves one clip; h [k] holds the warm start (zeros for none) and receives the code.
inline Outcome solve_clip(const Problem& p, const double* b, double* h, Workspace& w) {
  const int64_t k = p.k;
  w.reset(k, p.capacity);
  double gmax = 0;
  for (int64_t j = 0; j < k; ++j) gmax = std::max(gmax, p.G[j * k + j]);
  const double mu = 1e-10 * gmax;
  Outcome out;
  w.order.clear();  // the warm start's support, in index order
  for (int64_t j = 0; j < k; ++j)
    if (h[j] != 0) w.order.push_back(j);
  w.factor.add_many(p.G, k, w.atoms, w.order.data(), static_cast<int64_t>(w.order.size()),
                    p.capacity, mu);
  for (int64_t j : w.atoms) {
    w.active[static_cast<size_t>(j)] = 1;
    w.sign[static_cast<size_t>(j)] = h[j] > 0 ? 1 : -1;
  }
  for (int64_t j = 0; j < k; ++j)  // atoms that could not join start at zero
    if (!w.active[static_cast<size_t>(j)]) h[j] = 0;
  bool exact = false, single = false, newton = !w.atoms.empty();
  if (newton) exact_correlation(p, b, h, w.atoms, w.c.data());
  else std::copy(b, b + k, w.c.begin());
  exact = true;

  for (int64_t step = 1; step <= p.max_steps; ++step) {
    out.steps = step;
    const bool alone = single;  // this round adds one atom at most
    w.joined.clear();
    if (!newton) {
      if (!exact) exact_correlation(p, b, h, w.atoms, w.c.data());
      exact = true;
      certificate(p, b, h, w.c.data(), w.atoms, out.objective, out.gap);
      if (out.gap <= p.tol * out.objective) {
        out.converged = true;
        return out;
      }
      // Add the largest violators.
      w.order.clear();
      for (int64_t j = 0; j < k; ++j)
        if (!w.active[static_cast<size_t>(j)] && !w.stalled[static_cast<size_t>(j)] &&
            std::abs(w.c[static_cast<size_t>(j)]) > p.lambda)
          w.order.push_back(j);
      // A quarter of the room left (measured on bank-like problems, d = 512, k = 1024: fewer
      // atoms per round than as many as are active cut the adds that are dropped again from
      // 12 000 to 1 000 per clip and the time 4×).
      const int64_t room = p.capacity - static_cast<int64_t>(w.atoms.size());
      const int64_t want = single ? 1 : std::max<int64_t>(1, room / 4);
      std::sort(w.order.begin(), w.order.end(), [&](int64_t a, int64_t bb) {
        const double ca = std::abs(w.c[static_cast<size_t>(a)]),
                     cb = std::abs(w.c[static_cast<size_t>(bb)]);
        return ca > cb || (ca == cb && a < bb);
      });
      // The largest violators that can join, `want` of them.
      w.factor.add_many(p.G, k, w.atoms, w.order.data(), static_cast<int64_t>(w.order.size()),
                        want, mu, &w.joined);
      for (int64_t j : w.joined) {
        w.active[static_cast<size_t>(j)] = 1;
        w.sign[static_cast<size_t>(j)] = w.c[static_cast<size_t>(j)] > 0 ? 1 : -1;
      }
      single = false;
      // No violator could join (none left, or all dependent): refine on the active set.
    }
    // Newton step on the active set: (G_AA + μI) Δ = c_A − λ s_A.
    const auto n = static_cast<int64_t>(w.atoms.size());
    if (n == 0) {  // nothing to refine and nothing could join: h = 0 is all there is
      certificate(p, b, h, w.c.data(), w.atoms, out.objective, out.gap);
      out.converged = out.gap <= p.tol * out.objective;
      return out;
    }
    w.delta.resize(static_cast<size_t>(n));
    w.e.resize(static_cast<size_t>(n));
    w.hA.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = w.atoms[static_cast<size_t>(i)];
      w.e[static_cast<size_t>(i)] = w.c[static_cast<size_t>(j)] - p.lambda * w.sign[static_cast<size_t>(j)];
      w.hA[static_cast<size_t>(i)] = h[j];
    }
    std::copy(w.e.begin(), w.e.end(), w.delta.begin());
    w.factor.solve(w.delta.data());
    double slope0 = 0, curv = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = w.delta[static_cast<size_t>(i)];
      slope0 += d * w.c[static_cast<size_t>(w.atoms[static_cast<size_t>(i)])];
      curv += d * (w.e[static_cast<size_t>(i)] - mu * d);  // ΔᵀG_AAΔ from the ridge system
    }
    const double t = line_search(p, w.hA.data(), w.delta.data(), n, slope0, curv, w.kinks);
    const bool full = t == 1.0;
    // Move; the coordinates whose kink is the step land on zero exactly.
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = w.atoms[static_cast<size_t>(i)];
      const double d = w.delta[static_cast<size_t>(i)];
      double v = h[j] + t * d;
      if (h[j] != 0 && d != 0 && -h[j] / d == t) v = 0;
      h[j] = v;
      w.c[static_cast<size_t>(j)] -= t * (w.e[static_cast<size_t>(i)] - mu * d);
    }
    exact = false;
    // Drop zeros (from the back, so positions stay valid), signs follow h.
    bool dropped = false;
    for (int64_t i = n - 1; i >= 0; --i) {
      const int64_t j = w.atoms[static_cast<size_t>(i)];
      if (h[j] == 0) {
        w.factor.remove(i);
        w.atoms.erase(w.atoms.begin() + i);
        w.active[static_cast<size_t>(j)] = 0;
        w.sign[static_cast<size_t>(j)] = 0;
        dropped = true;
      } else {
        w.sign[static_cast<size_t>(j)] = h[j] > 0 ? 1 : -1;
      }
    }
    if (t == 0) {
      // No progress: the new atoms' joint direction did not descend. One at a time, and an
      // atom that joined alone without progress waits until something else moves.
      if (alone)
        for (int64_t j : w.joined) w.stalled[static_cast<size_t>(j)] = 1;
      newton = false;
      single = true;
      continue;
    }
    std::fill(w.stalled.begin(), w.stalled.end(), 0);
    newton = !full && dropped;
  }
  if (!exact) exact_correlation(p, b, h, w.atoms, w.c.data());
  certificate(p, b, h, w.c.data(), w.atoms, out.objective, out.gap);
  out.converged = out.gap <= p.tol * out.objective;
  return out;
}

}  // namespace avr::lasso_impl
