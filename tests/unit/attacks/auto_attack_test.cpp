#include "avr/attacks/auto_attack.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "test_support.h"
#include "toy_models.h"

namespace avr {
namespace {

std::vector<uint64_t> keys_of(const std::vector<int64_t>& clips) {
  return clip_stream_keys(torch::tensor(clips, torch::kInt64), Modality::AudioVisual);
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

torch::Tensor correct(const test::Mlp& m, const AttackResult& r, const torch::Tensor& y) {
  torch::NoGradGuard ng;
  return m.logits(r.audio, r.frames).argmax(1).eq(y);
}

// Gradient stages only (Square is a separate attack with its own tests).
AutoAttackSettings gradient_only(int steps = 15) {
  AutoAttackSettings s;
  s.stages = {"apgd", "apgd-t"};
  s.steps = steps;
  s.targets = 3;
  return s;
}

TEST(AutoAttack, IsThePerSampleWorstCaseOfItsStages) {
  const int64_t B = 24, L = 48, H = 4, C = 6;
  auto b = test::make_batch(11, B, L, H, C);
  const test::Mlp m(5, L, H, C);
  {
    torch::NoGradGuard ng;  // every clip correct when clean, so the stages have work to do
    b.labels = m.logits(b.audio, b.frames).argmax(1);
  }
  const auto threat = ThreatModel::single_eps(Modality::AudioVisual, 0.008);
  const auto s = gradient_only();

  AutoAttack aa(s);
  aa.set_clip_keys(keys_of(iota(B)));
  const auto r = aa.run(m.objective(), b.audio, b.frames, b.labels, threat);
  ASSERT_EQ(r.stages, (std::vector<std::string>{"clean", "apgd", "apgd-t"}));
  ASSERT_EQ(r.fooled_at.size(0), B);
  const auto robust = correct(m, r, b.labels);

  // Each stage alone, with the same seed and the same per-clip keys.
  std::vector<torch::Tensor> alone;
  for (const auto& name : s.stages) {
    auto a = make_attack(name, s.stage_settings(name));
    a->set_clip_keys(keys_of(iota(B)));
    alone.push_back(correct(m, a->run(m.objective(), b.audio, b.frames, b.labels, threat), b.labels));
  }
  torch::Tensor clean_ok;
  {
    torch::NoGradGuard ng;
    clean_ok = m.logits(b.audio, b.frames).argmax(1).eq(b.labels);
  }
  const auto stage = r.fooled_at;
  for (int64_t i = 0; i < B; ++i) {
    const int64_t k = stage[i].item<int64_t>();
    // Robust under the ensemble iff no stage fooled it, and then robust under each alone.
    EXPECT_EQ(robust[i].item<bool>(), k == -1) << "clip " << i;
    if (k == -1)
      for (size_t j = 0; j < alone.size(); ++j)
        EXPECT_TRUE(alone[j][i].item<bool>()) << "clip " << i << " fooled by " << s.stages[j] << " alone";
    if (k == 0) EXPECT_FALSE(clean_ok[i].item<bool>());
    if (k == 1) EXPECT_FALSE(alone[0][i].item<bool>()) << "clip " << i;
    if (k == 2) EXPECT_TRUE(alone[0][i].item<bool>()) << "clip " << i << ": stage 2 ran on a clip stage 1 fooled";
  }
  EXPECT_GT((stage >= 1).sum().item<int64_t>(), 0) << "nothing fooled: the test says nothing";
  EXPECT_GT((stage == -1).sum().item<int64_t>(), 0) << "everything fooled: the test says nothing";
}

TEST(AutoAttack, StaysInTheBudgetAndLeavesTheUnattackedInputAlone) {
  const int64_t B = 8, L = 32, H = 4, C = 5;
  const auto b = test::make_batch(2, B, L, H, C);
  const test::Mlp m(9, L, H, C);
  for (auto mod : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const auto threat = ThreatModel::single_eps(mod, 0.02);
    const auto r = AutoAttack(gradient_only(5)).run(m.objective(), b.audio, b.frames, b.labels, threat);
    if (mod == Modality::Visual) EXPECT_TRUE(r.audio.is_same(b.audio));
    if (mod == Modality::Audio) EXPECT_TRUE(r.frames.is_same(b.frames));
    EXPECT_LE((r.audio - b.audio).abs().max().item<double>(), threat.eps_a + 1e-6);
    EXPECT_LE((r.frames - b.frames).abs().max().item<double>(), threat.eps_v + 1e-6);
    EXPECT_LE(r.audio.abs().max().item<double>(), 1.0);
    EXPECT_GE(r.frames.min().item<double>(), 0.0);
    EXPECT_LE(r.frames.max().item<double>(), 1.0);
  }
}

TEST(AutoAttack, AClipsResultDoesNotDependOnItsBatch) {
  const int64_t B = 6, L = 32, H = 4, C = 5;
  const auto b = test::make_batch(4, B, L, H, C);
  const test::Mlp m(3, L, H, C);
  const auto threat = ThreatModel::single_eps(Modality::AudioVisual, 0.03);
  AutoAttack all(gradient_only(8));
  all.set_clip_keys(keys_of({10, 11, 12, 13, 14, 15}));
  const auto r = all.run(m.objective(), b.audio, b.frames, b.labels, threat);
  for (int64_t i : {0, 3, 5}) {
    AutoAttack one(gradient_only(8));
    one.set_clip_keys(keys_of({10 + i}));
    const auto s = torch::indexing::Slice(i, i + 1);
    const auto r1 = one.run(m.objective(), b.audio.index({s}), b.frames.index({s}), b.labels.index({s}), threat);
    EXPECT_EQ(r1.fooled_at[0].item<int64_t>(), r.fooled_at[i].item<int64_t>()) << "clip " << i;
    EXPECT_TRUE(torch::allclose(r1.audio, r.audio.index({s}), 0, 1e-6)) << "clip " << i;
    EXPECT_TRUE(torch::allclose(r1.frames, r.frames.index({s}), 0, 1e-6)) << "clip " << i;
  }
}

TEST(AutoAttack, ClipsWrongWhenCleanAreNotAttacked) {
  const int64_t B = 10, L = 16, H = 2, C = 4;
  const auto b = test::make_batch(8, B, L, H, C);
  const test::LinearModel m(1, L, H, C);
  const auto threat = ThreatModel::single_eps(Modality::Audio, 0.01);
  const auto obj = m.objective();
  const auto r = AutoAttack(gradient_only(4)).run(obj, b.audio, b.frames, b.labels, threat);
  torch::NoGradGuard ng;
  const auto wrong = m.logits(b.audio, b.frames).argmax(1).ne(b.labels);
  ASSERT_GT(wrong.sum().item<int64_t>(), 0);
  for (int64_t i = 0; i < B; ++i) {
    if (!wrong[i].item<bool>()) continue;
    EXPECT_EQ(r.fooled_at[i].item<int64_t>(), 0);
    EXPECT_TRUE(torch::equal(r.audio[i], b.audio[i]));
  }
}

TEST(AutoAttack, SettingsAreStrict) {
  const auto a = make_attack("autoattack", {{"stages", {"apgd"}}, {"steps", 7}, {"seed", 3}});
  EXPECT_EQ(a->name(), "autoattack");
  EXPECT_EQ(a->settings_json().at("steps"), 7);
  EXPECT_EQ(a->settings_json().get<AutoAttackSettings>().stages, std::vector<std::string>{"apgd"});
  EXPECT_NE(test::error_of([] { make_attack("autoattack", {{"step", 7}}); }).find("unknown key 'step'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("autoattack", {{"stages", {"fab-t"}}}); }).find("unknown stage 'fab-t'"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { make_attack("autoattack", {{"stages", {"apgd", "apgd"}}}); }).find("twice"),
            std::string::npos);
  EXPECT_THROW(make_attack("autoattack", {{"stages", {"apgd"}}, {"square_p_init", 1.5}}), Error);
}

}  // namespace
}  // namespace avr
