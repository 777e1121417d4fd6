#include "avr/attacks/square.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attack_problem.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {
namespace {

// One attacked modality seen as [B, C, H, W] (audio [B, L] or [B, C, L] as [B, C, 1, L]):
// a proposal overwrites an h × w rectangle (a square of frames, a segment of audio) with a
// vertex of the box, one sign per channel.
class Search {
 public:
  Search(const detail::ModalityBox& box, bool frames, const SquareSettings& s, const std::vector<uint64_t>& keys)
      : box_(box), frames_(frames) {
    const auto& x = box.clean;
    B_ = x.size(0);
    if (frames) {
      C_ = x.size(1), H_ = x.size(2), W_ = x.size(3);
    } else {
      W_ = x.size(-1), H_ = 1, C_ = x.numel() / std::max<int64_t>(B_ * W_, 1);
    }
    // Start: one sign per channel and column block — 1-pixel stripes on frames, blocks of
    // round(√L) samples on audio (see square.h).
    const int64_t block = frames ? 1 : std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(W_))));
    const int64_t blocks = (W_ + block - 1) / block;
    std::vector<torch::Tensor> start, steps;
    start.reserve(keys.size());
    steps.reserve(keys.size());
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    for (uint64_t key : keys) {
      // Everything a sample draws, from its own stream: the start, then per query two
      // offsets (rows, columns) and C signs, indexed by the query whether or not it runs.
      auto gen = detail::make_generator(s.seed, "square", key, box.name);
      start.push_back(torch::rand({C_, 1, blocks}, gen, f64));
      steps.push_back(torch::rand({s.n_queries, 2 + C_}, gen, f64));
    }
    const auto start_signs = to_sign(torch::stack(start)).repeat_interleave(block, 3).narrow(3, 0, W_);
    start_ = vertex(start_signs.to(x.scalar_type()).to(x.device()));
    draws_ = torch::stack(steps);  // [B, n_queries, 2 + C], CPU
    rows_ = torch::arange(H_, torch::TensorOptions().dtype(torch::kInt64).device(x.device())).view({1, 1, H_, 1});
    cols_ = torch::arange(W_, torch::TensorOptions().dtype(torch::kInt64).device(x.device())).view({1, 1, 1, W_});
  }

  // The start, shaped like the clean input.
  torch::Tensor start() const { return start_.view(box_.clean.sizes()); }

  // Query `i`'s proposal for every sample from the current best `x` (shaped like clean).
  torch::Tensor propose(const torch::Tensor& x, int i, double p) const {
    int64_t h = 1, w = 1;
    if (frames_) {
      const int64_t s = std::max<int64_t>(1, std::llround(std::sqrt(p * static_cast<double>(H_ * W_))));
      h = std::min(s, H_), w = std::min(s, W_);
    } else {
      w = std::min(W_, std::max<int64_t>(1, std::llround(p * static_cast<double>(W_))));
    }
    const auto d = draws_.select(1, i).to(x.device());  // [B, 2 + C]
    auto offset = [&](int64_t col, int64_t positions) {  // uniform over 0 … positions - 1
      return (d.select(1, col) * static_cast<double>(positions))
          .floor()
          .to(torch::kInt64)
          .clamp_max(positions - 1)
          .view({B_, 1, 1, 1});
    };
    const auto top = offset(0, H_ - h + 1), left = offset(1, W_ - w + 1);
    const auto mask = (rows_ >= top) & (rows_ < top + h) & (cols_ >= left) & (cols_ < left + w);  // [B,1,H,W]
    const auto signs = to_sign(d.narrow(1, 2, C_)).to(x.scalar_type()).reshape({B_, C_, 1, 1});
    return torch::where(mask, vertex(signs), x.reshape({B_, C_, H_, W_})).view(box_.clean.sizes());
  }

 private:
  static torch::Tensor to_sign(const torch::Tensor& u) { return (u >= 0.5).to(u.scalar_type()) * 2 - 1; }

  // clean + eps·sign projected onto the box ∩ valid range, [B, C, H, W] (signs broadcast).
  torch::Tensor vertex(const torch::Tensor& signs) const {
    const auto shape = std::vector<int64_t>{B_, C_, H_, W_};
    const auto clean = box_.clean.reshape(shape);
    auto v = clean + box_.eps * signs;
    return torch::min(torch::max(v, box_.lower.reshape(shape)), box_.upper.reshape(shape));
  }

  const detail::ModalityBox& box_;
  bool frames_;
  int64_t B_ = 0, C_ = 0, H_ = 0, W_ = 0;
  torch::Tensor start_, draws_, rows_, cols_;
};

}  // namespace

void SquareSettings::validate() const {
  AVR_CHECK(n_queries >= 1, "square: n_queries must be >= 1, got ", n_queries, " (AutoAttack uses 5000)");
  AVR_CHECK(std::isfinite(p_init) && p_init > 0 && p_init <= 1,
            "square: p_init (the fraction of the input a proposal changes) must be in (0, 1], got ", p_init,
            " (AutoAttack uses 0.8)");
}

void to_json(nlohmann::json& j, const SquareSettings& s) {
  j = {{"n_queries", s.n_queries}, {"p_init", s.p_init}, {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, SquareSettings& s) {
  JsonFields f(j, "square settings");
  SquareSettings out = s;
  f.read("n_queries", out.n_queries);
  f.read("p_init", out.p_init);
  f.read("seed", out.seed);
  f.finish();
  out.validate();
  s = out;
}

double square_p_schedule(double p_init, int i, int n_queries) {
  // The reference's thresholds are for 10000 queries; its rescaling truncates like this.
  const int j = static_cast<int>(static_cast<double>(i) / n_queries * 10000);
  static const int kThresholds[] = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
  double p = p_init;
  for (int t : kThresholds)
    if (j > t) p /= 2;
  return p;
}

torch::Tensor margin_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  AVR_CHECK(logits.dim() == 2 && logits.size(1) >= 2 && labels.dim() == 1 && labels.size(0) == logits.size(0),
            "margin loss: needs logits [B, C] with C >= 2 classes and labels [B], got ", logits.sizes(), " and ",
            labels.sizes());
  const auto y = labels.view({-1, 1});
  const auto z_y = logits.gather(1, y).squeeze(1);
  const auto others = logits.scatter(1, y, -std::numeric_limits<double>::infinity()).amax(1);
  return z_y - others;
}

Square::Square(SquareSettings settings) : settings_(settings) { settings_.validate(); }

nlohmann::json Square::settings_json() const { return settings_; }

AttackResult Square::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  const auto& A = p.audio;
  const auto& V = p.visual;
  torch::NoGradGuard no_grad;
  AttackResult out{A.clean, V.clean, 0};

  // Margins of the samples `rows` ([b] int64; undefined: all of them) at xa, xv (full batch).
  // A full batch passes the unattacked modality as the caller's clean tensor itself.
  auto query = [&](const torch::Tensor& xa, const torch::Tensor& xv, const torch::Tensor& rows) {
    auto input = [&](const detail::ModalityBox& m, const torch::Tensor& x) {
      const torch::Tensor& src = m.active ? x : m.clean;
      torch::Tensor t = rows.defined() ? src.index_select(0, rows) : src;
      // A fresh leaf, as objective.h promises; NoGradGuard keeps autograd out.
      return m.active ? t.detach().requires_grad_(true) : t;
    };
    const auto labels = rows.defined() ? p.labels.index_select(0, rows) : p.labels;
    const Objective o = objective(input(A, xa), input(V, xv), labels, p.objective_rows(rows));
    ++out.queries;
    AVR_CHECK(o.logits.defined() && o.logits.dim() == 2 && o.logits.size(0) == labels.size(0),
              "attack objective: logits must have shape [", labels.size(0), ", classes]; got ",
              o.logits.defined() ? o.logits.sizes() : c10::IntArrayRef{});
    return margin_loss(o.logits.detach(), labels);
  };

  // Samples misclassified at their clean input stay clean and are never attacked.
  const auto clean_margin = query(A.clean, V.clean, {});
  auto open = clean_margin >= 0;  // still to fool (margin < 0: fooled)
  if (!open.any().item<bool>()) return out;
  std::unique_ptr<Search> sa, sv;
  if (A.active) sa = std::make_unique<Search>(A, false, settings_, p.keys);
  if (V.active) sv = std::make_unique<Search>(V, true, settings_, p.keys);
  torch::Tensor xa = A.clean, xv = V.clean, best = clean_margin;
  const int64_t B = p.labels.size(0);
  const auto unqueried = torch::full_like(best, std::numeric_limits<double>::infinity());
  // Margins at the proposals (na, nv) of the open samples, +inf for the others: only the
  // open samples are queried, as rows of the batch (objective.h), so the objective reuses
  // what it keeps of each (the unattacked branch's clean feature, ExFMem's warm-start
  // codes) and a query costs what its open samples cost.
  auto margins_at = [&](const torch::Tensor& na, const torch::Tensor& nv) {
    const int64_t k = open.sum().item<int64_t>();
    if (k == B) return query(na, nv, {});
    const auto rows = open.nonzero().squeeze(1);
    return unqueried.index_copy(0, rows, query(na, nv, rows));
  };
  auto take = [&](const torch::Tensor& mask, const torch::Tensor& na, const torch::Tensor& nv,
                  const torch::Tensor& m) {
    best = torch::where(mask, m, best);
    if (A.active) xa = A.select(mask, na, xa);
    if (V.active) xv = V.select(mask, nv, xv);
    open = best >= 0;
  };
  {  // The start is taken whatever its margin (the reference's rule).
    const auto na = sa ? sa->start() : xa, nv = sv ? sv->start() : xv;
    take(open, na, nv, margins_at(na, nv));
  }
  // Then a proposal is kept only where it lowers the margin.
  for (int i = 0; i < settings_.n_queries && open.any().item<bool>(); ++i) {
    const double frac = square_p_schedule(settings_.p_init, i, settings_.n_queries);
    const auto na = sa ? sa->propose(xa, i, frac) : xa, nv = sv ? sv->propose(xv, i, frac) : xv;
    const auto m = margins_at(na, nv);
    take(open & (m < best), na, nv, m);
  }
  out.audio = xa;
  out.frames = xv;
  return out;
}

}  // namespace avr
