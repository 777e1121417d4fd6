// Square (L∞, score-based): settings, the reference's p schedule, the margin loss, and
// its invariants — budget and range (every attacked element at a vertex of the box), the
// untouched modality, per-clip determinism at any batch size, a margin that never rises,
// no querying of fooled samples, no gradients — and that it finds adversarial examples
// where a budget admits them.
#include "avr/attacks/square.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "avr/core/error.h"
#include "avr/core/rng.h"
#include "test_support.h"
#include "toy_models.h"

namespace avr {
namespace {

using test::Batch;

constexpr int64_t kB = 4, kL = 24, kH = 8, kC = 5;

torch::Tensor predicted(const ObjectiveFn& f, const Batch& b) {
  torch::NoGradGuard ng;
  return f(b.audio, b.frames, b.labels).logits.argmax(1);
}

torch::Tensor margins(const ObjectiveFn& f, const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor& y) {
  torch::NoGradGuard ng;
  return margin_loss(f(a, v, y).logits, y);
}

// The box's ends per element, in the attack's own float arithmetic (ModalityBox::init).
std::pair<torch::Tensor, torch::Tensor> box_ends(const torch::Tensor& clean, const torch::Tensor& eps_f64, double lo,
                                                 double hi) {
  const auto eps = eps_f64.to(clean.options());
  return {(clean - eps).clamp_min(lo), (clean + eps).clamp_max(hi)};
}

TEST(SquareSettings, JsonRoundTripAndClearErrors) {
  SquareSettings s;
  EXPECT_EQ(s.n_queries, 5000);  // AutoAttack's defaults
  EXPECT_EQ(s.p_init, 0.8);
  s.n_queries = 123;
  s.p_init = 0.3;
  s.seed = 9;
  const nlohmann::json j = s;
  const auto back = j.get<SquareSettings>();
  EXPECT_EQ(back.n_queries, 123);
  EXPECT_EQ(back.p_init, 0.3);
  EXPECT_EQ(back.seed, 9u);
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ((nlohmann::json{{"n_queries", 7}}.get<SquareSettings>().p_init), 0.8);  // missing keeps the default
  const auto a = make_attack("square", {{"n_queries", 50}, {"seed", 3}});
  EXPECT_EQ(a->name(), "square");
  EXPECT_EQ(a->settings_json().at("n_queries"), 50);
  EXPECT_EQ(make_attack("square", a->settings_json())->settings_json(), a->settings_json());

  EXPECT_NE(test::error_of([] { make_attack("square", {{"queries", 10}}); }).find("unknown key 'queries'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("square", {{"n_queries", 0}}); }).find("n_queries must be >= 1"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("square", {{"p_init", 0.0}}); }).find("p_init"), std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("square", {{"p_init", 1.5}}); }).find("(0, 1]"), std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("square", {{"n_queries", "many"}}); }).find("wrong type"),
            std::string::npos);
  EXPECT_THROW(Square(SquareSettings{10, -0.1, 0}), Error);
}

TEST(SquareSchedule, HalvesPAtTheReferenceThresholdsRescaledToTheBudget) {
  // The reference's p_selection at 10000 queries: p_init up to query 10, then halved past
  // 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 (written out from square.py).
  const std::map<int, double> at_10000 = {{0, 1},        {10, 1},        {11, 2},        {50, 2},
                                          {51, 4},       {200, 4},       {201, 8},       {500, 8},
                                          {501, 16},     {1000, 16},     {1001, 32},     {2001, 64},
                                          {4001, 128},   {6000, 128},    {6001, 256},    {8001, 512},
                                          {9999, 512}};
  for (const auto& [i, div] : at_10000) EXPECT_DOUBLE_EQ(square_p_schedule(0.8, i, 10000), 0.8 / div) << i;
  // Rescaled: at 5000 queries, query i counts as ⌊i/5000·10000⌋ = 2i.
  EXPECT_DOUBLE_EQ(square_p_schedule(0.8, 5, 5000), 0.8);
  EXPECT_DOUBLE_EQ(square_p_schedule(0.8, 6, 5000), 0.4);
  EXPECT_DOUBLE_EQ(square_p_schedule(0.8, 4999, 5000), 0.8 / 512);
  // At 100 queries the first halving comes after query 0 (⌊1/100·10000⌋ = 100 > 50).
  EXPECT_DOUBLE_EQ(square_p_schedule(0.5, 0, 100), 0.5);
  EXPECT_DOUBLE_EQ(square_p_schedule(0.5, 1, 100), 0.5 / 4);
}

TEST(SquareMargin, IsTheTrueLogitMinusTheLargestOther) {
  const auto z = torch::tensor({{3.0, 1.0, 2.5}, {0.0, 4.0, 1.0}}, torch::kFloat64);
  const auto m = margin_loss(z, torch::tensor({0, 2}, torch::kInt64));
  EXPECT_DOUBLE_EQ(m[0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(m[1].item<double>(), -3.0);
  EXPECT_THROW(margin_loss(torch::zeros({2, 1}), torch::zeros({2}, torch::kInt64)), Error);
}

TEST(Square, StaysOnTheBoxVerticesInRangeAndLeavesTheOtherModalityAlone) {
  const Modality modalities[] = {Modality::Audio, Modality::Visual, Modality::AudioVisual};
  const EpsSpace spaces[] = {EpsSpace::Pixel, EpsSpace::Normalized};
  int cases = 0, attacked_samples = 0;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    Rng rng(seed);
    Batch b = test::make_batch(seed, kB, kL, kH, kC);
    const test::Mlp mlp(100 + seed, kL, kH, kC);
    const test::LinearModel linear(200 + seed, kL, kH, kC);
    for (const ObjectiveFn& f : {mlp.objective(), linear.objective()}) {
      // Even seeds: labels the model predicts (every sample attacked); odd: random labels,
      // so some samples are misclassified at their clean input and must come back clean.
      if (seed % 2 == 0) b.labels = predicted(f, b);
      for (auto space : spaces) {
        for (auto modality : modalities) {
          const auto threat = ThreatModel::single_eps(modality, rng.uniform(0.001, 0.3), space);
          SCOPED_TRACE("seed " + std::to_string(seed) + " " + threat.describe());
          const auto r = make_attack("square", {{"n_queries", 40}, {"seed", seed}})
                             ->run(f, b.audio, b.frames, b.labels, threat);
          ++cases;
          const auto clean_ok = margins(f, b.audio, b.frames, b.labels) >= 0;
          EXPECT_EQ(r.gradient_evals, 0);
          // The clean check; with a sample to attack, the start and up to 40 proposals.
          EXPECT_GE(r.queries, clean_ok.any().item<bool>() ? 2 : 1);
          EXPECT_LE(r.queries, 42);
          // Per attacked modality: each element of an attacked sample is an end of its box
          // (clean ± eps clipped to the range); a misclassified sample is its clean row.
          auto check = [&](const torch::Tensor& clean, const torch::Tensor& adv, const torch::Tensor& eps, double lo,
                           double hi) {
            ASSERT_EQ(adv.sizes(), clean.sizes());
            EXPECT_FALSE(adv.requires_grad());
            const auto [lower, upper] = box_ends(clean, eps, lo, hi);
            EXPECT_TRUE(((adv >= lower) & (adv <= upper)).all().item<bool>());
            for (int64_t i = 0; i < kB; ++i) {
              if (clean_ok[i].item<bool>()) {
                EXPECT_TRUE(((adv[i] == lower[i]) | (adv[i] == upper[i])).all().item<bool>()) << "sample " << i;
              } else {
                EXPECT_TRUE(torch::equal(adv[i], clean[i])) << "sample " << i;
              }
            }
          };
          if (threat.attacks_audio()) {
            check(b.audio, r.audio, torch::tensor(threat.eps_a, torch::kFloat64), -1, 1);
          } else {
            EXPECT_TRUE(r.audio.is_same(b.audio));
          }
          if (threat.attacks_visual()) {
            const auto eps = torch::tensor({threat.pixel_eps_v(0), threat.pixel_eps_v(1), threat.pixel_eps_v(2)},
                                           torch::kFloat64)
                                 .view({1, 3, 1, 1});
            check(b.frames, r.frames, eps, 0, 1);
          } else {
            EXPECT_TRUE(r.frames.is_same(b.frames));
          }
          attacked_samples += clean_ok.sum().item<int>();
        }
      }
    }
  }
  EXPECT_EQ(cases, 12 * 2 * 2 * 3);
  EXPECT_GT(attacked_samples, cases);  // both paths were exercised
  EXPECT_LT(attacked_samples, cases * kB);
}

TEST(Square, StartsAtStripesOnFramesAndBlocksOnAudio) {
  // Logits that ignore the inputs: no proposal lowers the margin, so the result is the
  // start. Frames: one sign per channel and column; audio [B,1,L]: one per block of
  // round(√L) = 6 samples. Rectangular frames (6 × 10) and a channel axis on the audio.
  const int64_t B = 3, L = 35, H = 6, W = 10;
  auto g = test::gen(1);
  const auto audio = (torch::rand({B, 1, L}, g) * 1.6 - 0.8), frames = torch::rand({B, 3, H, W}, g) * 0.6 + 0.2;
  const auto labels = torch::zeros({B}, torch::kInt64);
  const ObjectiveFn constant = [](const torch::Tensor& a, const torch::Tensor&, const torch::Tensor&) {
    auto z = torch::zeros({a.size(0), 4});
    z.select(1, 0).fill_(1.0);
    return Objective{torch::zeros({a.size(0)}), z};
  };
  const double eps = 0.1;
  const auto r = make_attack("square", {{"n_queries", 20}, {"seed", 4}})
                     ->run(constant, audio, frames, labels, ThreatModel::single_eps(Modality::AudioVisual, eps));
  EXPECT_EQ(r.queries, 2 + 20);
  const auto dv = (r.frames - frames) / eps;  // ±1, no clipping inside [0.2, 0.8]
  EXPECT_TRUE(torch::allclose(dv.abs(), torch::ones_like(dv), 0, 1e-5));
  EXPECT_TRUE(torch::equal(dv.sign(), dv.sign().select(2, 0).unsqueeze(2).expand_as(dv)));  // constant down a column
  EXPECT_FALSE(torch::equal(dv.sign(), dv.sign().select(3, 0).unsqueeze(3).expand_as(dv)));  // not along a row
  const auto da = ((r.audio - audio) / eps).sign().squeeze(1);  // [B, L]
  for (int64_t start = 0; start < L; start += 6) {
    const auto block = da.narrow(1, start, std::min<int64_t>(6, L - start));
    EXPECT_TRUE(torch::equal(block, block.select(1, 0).unsqueeze(1).expand_as(block))) << start;
  }
  EXPECT_FALSE(torch::equal(da, da.select(1, 0).unsqueeze(1).expand_as(da)));
}

TEST(Square, AClipGetsTheSameResultInABatchOfOneAndOfFive) {
  const int64_t B = 5;
  Batch b = test::make_batch(21, B, kL, kH, kC);
  const test::Mlp model(22, kL, kH, kC);
  const auto f = model.objective();
  b.labels = predicted(f, b);
  const auto rows = torch::arange(40, 40 + B, torch::kInt64);
  for (auto modality : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = ThreatModel::single_eps(modality, 0.1);
    SCOPED_TRACE(threat.describe());
    const nlohmann::json s = {{"n_queries", 100}, {"seed", 2}};
    auto whole = make_attack("square", s);
    whole->set_clip_keys(clip_stream_keys(rows, modality));
    const auto r = whole->run(f, b.audio, b.frames, b.labels, threat);
    // Samples are fooled at different queries, so the batch run also queried subsets.
    const auto fooled = (margins(f, r.audio, r.frames, b.labels) < 0).sum().item<int64_t>();
    EXPECT_GT(fooled, 0);
    EXPECT_LT(fooled, B);
    auto single = make_attack("square", s);
    for (int64_t i = B - 1; i >= 0; --i) {
      const auto one = torch::indexing::Slice(i, i + 1);
      single->set_clip_keys(clip_stream_keys(rows.index({one}), modality));
      const auto ri = single->run(f, b.audio.index({one}), b.frames.index({one}), b.labels.index({one}), threat);
      EXPECT_TRUE(torch::equal(ri.audio[0], r.audio[i])) << "clip " << i;
      EXPECT_TRUE(torch::equal(ri.frames[0], r.frames[i])) << "clip " << i;
    }
    // Another seed, another search.
    auto other = make_attack("square", {{"n_queries", 100}, {"seed", 3}});
    other->set_clip_keys(clip_stream_keys(rows, modality));
    const auto r3 = other->run(f, b.audio, b.frames, b.labels, threat);
    EXPECT_FALSE(torch::equal(r3.audio, r.audio) && torch::equal(r3.frames, r.frames));
  }
}

TEST(Square, KeepsTheLowestMarginQueriedAndStopsQueryingFooledSamples) {
  // The objective records every row it is asked about; the unattacked modality's row (the
  // caller's clean input, untouched) says which sample it is, and the rows Square names
  // must say the same.
  Batch b = test::make_batch(31, 6, kL, kH, kC);
  const test::Mlp model(32, kL, kH, kC);
  const auto f = model.objective();
  b.labels = predicted(f, b);
  b.labels[5] = (b.labels[5] + 1) % kC;  // misclassified at its clean input
  for (auto modality : {Modality::Audio, Modality::Visual}) {
    SCOPED_TRACE(to_string(modality));
    const bool by_audio = modality == Modality::Visual;
    const torch::Tensor& id = by_audio ? b.audio : b.frames;
    std::vector<std::vector<double>> seen(6);
    int64_t calls = 0, whole_batch_calls = 0;
    bool grad_mode_off = true, leaves = true, whole_batch_unattacked_is_callers = true, rows_named = true;
    const ObjectiveFn recording = [&](const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor& y,
                                      const torch::Tensor& batch_rows) {
      ++calls;
      grad_mode_off = grad_mode_off && !torch::GradMode::is_enabled();
      const auto& attacked = by_audio ? v : a;
      leaves = leaves && attacked.is_leaf() && attacked.requires_grad();
      const Objective o = f(a, v, y);
      const auto m = margin_loss(o.logits, y);
      const auto& rows = by_audio ? a : v;
      if (rows.size(0) == 6) {  // the whole batch: the unattacked modality is the caller's tensor
        ++whole_batch_calls;
        whole_batch_unattacked_is_callers = whole_batch_unattacked_is_callers && rows.is_same(id);
        rows_named = rows_named && !batch_rows.defined();
      } else {
        rows_named = rows_named && batch_rows.defined() && batch_rows.size(0) == rows.size(0);
      }
      for (int64_t r = 0; r < rows.size(0); ++r) {
        int64_t sample = -1;
        for (int64_t i = 0; i < 6; ++i)
          if (torch::equal(rows[r], id[i])) sample = i;
        EXPECT_GE(sample, 0);
        if (sample >= 0) seen[sample].push_back(m[r].item<double>());
        if (batch_rows.defined() && r < batch_rows.size(0))
          rows_named = rows_named && batch_rows[r].item<int64_t>() == sample;
      }
      return o;
    };
    const int n = 200;
    const auto r = make_attack("square", {{"n_queries", n}, {"seed", 1}})
                       ->run(recording, b.audio, b.frames, b.labels, ThreatModel::single_eps(modality, 0.12));
    EXPECT_EQ(r.queries, calls);
    // Sample 5 is never open: after the clean check every query names the open samples.
    EXPECT_EQ(whole_batch_calls, 1);
    EXPECT_GT(calls, n / 2);
    EXPECT_TRUE(whole_batch_unattacked_is_callers);
    EXPECT_TRUE(rows_named);
    EXPECT_TRUE(grad_mode_off);
    EXPECT_TRUE(leaves);
    const auto final_margin = margins(f, r.audio, r.frames, b.labels);
    int fooled = 0, kept_searching = 0;
    for (int i = 0; i < 6; ++i) {
      SCOPED_TRACE("sample " + std::to_string(i));
      const auto& q = seen[i];
      ASSERT_GE(q.size(), 1u);
      ASSERT_LE(q.size(), static_cast<size_t>(n + 2));
      if (q[0] < 0) {  // misclassified clean: only ever seen at its clean input, returned clean
        EXPECT_EQ(i, 5);
        for (double v : q) EXPECT_NEAR(v, q[0], 1e-5);
        EXPECT_TRUE(torch::equal(r.audio[i], b.audio[i]) && torch::equal(r.frames[i], b.frames[i]));
        continue;
      }
      // From the start on, the result's margin is the lowest one queried.
      const double lowest = *std::min_element(q.begin() + 1, q.end());
      EXPECT_NEAR(final_margin[i].item<double>(), lowest, 1e-5);
      // No query after the one that fooled it; all n while it was not fooled.
      const auto first_fooled = std::find_if(q.begin() + 1, q.end(), [](double v) { return v < 0; });
      if (first_fooled != q.end()) {
        EXPECT_EQ(first_fooled + 1, q.end());
        ++fooled;
      } else {
        EXPECT_EQ(q.size(), static_cast<size_t>(n + 2));
        ++kept_searching;
      }
    }
    EXPECT_GT(fooled, 0);
    EXPECT_GT(kept_searching, 0);
  }
}

TEST(Square, FoolsMostSamplesOfALinearModelWhenTheBudgetAllows) {
  // For a linear model the best L∞ attack is known: moving each element by ±eps against
  // w_y − w_j lowers z_y − z_j by eps·‖w_y − w_j‖₁ (less where the range clips). With a
  // budget that lets this fool every sample, Square must fool most of them.
  const int64_t B = 16, C = 10;
  Batch b = test::make_batch(41, B, kL, kH, C);
  const test::LinearModel m(42, kL, kH, C, 0.2);
  const auto f = m.objective();
  b.labels = predicted(f, b);
  for (auto modality : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = ThreatModel::single_eps(modality, modality == Modality::Audio ? 0.3 : 0.15);
    SCOPED_TRACE(threat.describe());
    const auto r = make_attack("square", {{"n_queries", 300}})->run(f, b.audio, b.frames, b.labels, threat);
    const double fooled = (margins(f, r.audio, r.frames, b.labels) < 0).to(torch::kFloat64).mean().item<double>();
    EXPECT_GE(fooled, 0.8);
  }
  // A budget of almost nothing fools (almost) nobody: the search cannot beat the budget.
  const auto r = make_attack("square", {{"n_queries", 100}})
                     ->run(f, b.audio, b.frames, b.labels, ThreatModel::single_eps(Modality::Visual, 1e-4));
  EXPECT_LE((margins(f, r.audio, r.frames, b.labels) < 0).sum().item<int64_t>(), 1);
}

}  // namespace
}  // namespace avr
