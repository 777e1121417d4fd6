#include "avr/eval/worst_case.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "test_support.h"

namespace avr {
namespace {

AttackRow row_of(const std::string& name, const std::map<Modality, std::vector<bool>>& robust) {
  AttackRow row;
  row.attack = name;
  for (const auto& [m, flags] : robust) {
    int64_t n = 0;
    for (bool f : flags) n += f;
    row.accuracy[m] = static_cast<double>(n) / flags.size();
    row.threat[m] = ThreatModel::single_eps(m, 0.01);
    row.max_linf_audio[m] = row.max_linf_frames[m] = 0.01;
    row.robust[m] = flags;
  }
  return row;
}

RobustnessReport report_of(std::vector<AttackRow> rows, int64_t clips) {
  RobustnessReport r;
  r.clips = clips;
  r.clean_accuracy = 1.0;
  for (int64_t i = 0; i < clips; ++i) r.clip_indices.push_back(10 + i);
  r.clean_correct.assign(clips, true);
  r.rows = std::move(rows);
  return r;
}

}  // namespace

TEST(WorstCase, AClipIsRobustOnlyIfEveryAttackFailed) {
  const auto a = Modality::Audio, av = Modality::AudioVisual;
  auto r = report_of({row_of("fgsm", {{a, {1, 1, 0, 1}}, {av, {1, 0, 1, 1}}}),
                      row_of("pgd", {{a, {1, 0, 1, 1}}, {av, {1, 1, 1, 0}}})},
                     4);
  const WorstCase w = worst_case({r});
  EXPECT_DOUBLE_EQ(w.accuracy.at(a), 0.5);    // clips 0 and 3
  EXPECT_DOUBLE_EQ(w.accuracy.at(av), 0.5);   // clips 0 and 2
  EXPECT_EQ(w.robust.at(a), (std::vector<bool>{1, 0, 0, 1}));
  EXPECT_EQ(w.attacks, (std::vector<std::string>{"fgsm", "pgd"}));
  EXPECT_DOUBLE_EQ(w.average(), 0.5);
  // Across reports too, with sources naming the rows.
  auto other = report_of({row_of("mim", {{a, {0, 1, 1, 1}}, {av, {1, 1, 1, 1}}})}, 4);
  const WorstCase w2 = worst_case({r, other}, {"t1", "t6"});
  EXPECT_DOUBLE_EQ(w2.accuracy.at(a), 0.25);
  EXPECT_EQ(w2.attacks.back(), "t6:mim");
  // A threat only some rows ran is left out.
  auto only_a = report_of({row_of("apgd", {{a, {1, 1, 1, 1}}})}, 4);
  EXPECT_EQ(worst_case({r, only_a}).accuracy.count(av), 0u);
}

// A clip the model gets wrong clean is not robust, even when every attack's output is
// classified correctly (an attack that moved it back, or a defense that corrects it): the
// clean input is in the ε-ball. Before, the worst case could exceed the clean accuracy.
TEST(WorstCase, AClipWrongCleanIsNotRobustWhateverTheAttacksDid) {
  const auto v = Modality::Visual;
  auto r = report_of({row_of("pgd", {{v, {1, 1, 1, 0}}}), row_of("mim", {{v, {1, 1, 1, 1}}})}, 4);
  r.clean_correct = {true, false, true, true};
  r.clean_accuracy = 0.75;
  const WorstCase w = worst_case({r});
  EXPECT_EQ(w.robust.at(v), (std::vector<bool>{1, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(w.accuracy.at(v), 0.5);
  // A report without per-clip clean results cannot be combined.
  r.clean_correct.clear();
  EXPECT_NE(test::error_of([&] { worst_case({r}); }).find("no per-clip results"), std::string::npos);
}

// Property: on random per-clip flags the worst case is at most the clean accuracy and every
// row's accuracy, and with one row it is the fraction of clips correct clean and under it.
TEST(WorstCase, NeverAboveTheCleanAccuracyOrTheStrongestAttack) {
  std::mt19937 gen(3);
  std::bernoulli_distribution coin(0.6);
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t clips = 1 + trial % 17;
    std::vector<AttackRow> rows;
    for (int k = 0; k < 1 + trial % 4; ++k) {
      std::vector<bool> flags(clips);
      for (auto&& f : flags) f = coin(gen);
      rows.push_back(row_of("a" + std::to_string(k), {{Modality::Visual, flags}}));
    }
    auto r = report_of(rows, clips);
    int64_t clean = 0, both = 0;
    for (int64_t c = 0; c < clips; ++c) {
      r.clean_correct[c] = coin(gen);
      clean += r.clean_correct[c];
      both += r.clean_correct[c] && rows[0].robust.at(Modality::Visual)[c];
    }
    r.clean_accuracy = static_cast<double>(clean) / clips;
    const WorstCase w = worst_case({r});
    EXPECT_LE(w.accuracy.at(Modality::Visual), r.clean_accuracy);
    for (const auto& row : r.rows) EXPECT_LE(w.accuracy.at(Modality::Visual), row.accuracy.at(Modality::Visual));
    if (rows.size() == 1)
      EXPECT_DOUBLE_EQ(w.accuracy.at(Modality::Visual), static_cast<double>(both) / clips);
  }
}

TEST(WorstCase, ReportsOfOtherClipsOrWithoutPerClipResultsAreErrors) {
  const auto v = Modality::Visual;
  auto r = report_of({row_of("fgsm", {{v, {1, 0}}})}, 2);
  auto shifted = r;
  shifted.clip_indices = {11, 12};
  const auto message = &test::error_of;
  EXPECT_NE(message([&] { worst_case({r, shifted}); }).find("cover different clips"), std::string::npos);
  RobustnessReport old = r;
  old.clip_indices.clear();
  EXPECT_NE(message([&] { worst_case({old}, {"table1"}); }).find("no per-clip results"),
            std::string::npos);
}

TEST(RobustnessReport, JsonRoundTripKeepsPerClipResults) {
  const auto a = Modality::Audio;
  const auto r = report_of({row_of("pgd", {{a, {1, 0, 1}}})}, 3);
  const nlohmann::json j = r;
  EXPECT_EQ(j["attacks"][0]["robust_clips"]["✗A"], "101");
  const auto back = j.get<RobustnessReport>();
  EXPECT_EQ(back.clip_indices, r.clip_indices);
  EXPECT_EQ(back.rows[0].robust.at(a), r.rows[0].robust.at(a));
  EXPECT_EQ(nlohmann::json(back), j);
  nlohmann::json bad = j;
  bad["attacks"][0]["robust_clips"]["✗A"] = "10";
  EXPECT_THROW(bad.get<RobustnessReport>(), Error);
}

TEST(RobustnessReport, JsonRoundTripKeepsAutoAttackStages) {
  const auto v = Modality::Visual;
  auto row = row_of("autoattack", {{v, {1, 0, 0}}});
  row.stages = {"clean", "apgd", "square"};
  row.fooled_at[v] = {-1, 0, 2};
  const nlohmann::json j = report_of({row}, 3);
  const auto back = j.get<RobustnessReport>();
  EXPECT_EQ(back.rows[0].stages, row.stages);
  EXPECT_EQ(back.rows[0].fooled_at.at(v), row.fooled_at.at(v));
  EXPECT_EQ(nlohmann::json(back), j);
  nlohmann::json bad = j;
  bad["attacks"][0]["fooled_at"]["✗V"] = {-1, 0, 3};  // no stage 3
  EXPECT_THROW(bad.get<RobustnessReport>(), Error);
  bad["attacks"][0]["fooled_at"]["✗V"] = {-1, 0};  // 2 entries for 3 clips
  EXPECT_THROW(bad.get<RobustnessReport>(), Error);
}

TEST(WorstCase, FirstClipsCutsEveryPerClipFieldAndRecomputesAccuracies) {
  const auto a = Modality::Audio;
  auto r = report_of({row_of("pgd", {{a, {1, 0, 1, 1}}})}, 4);
  r.clean_correct = {true, true, false, true};
  const auto cut = first_clips(r, 2);
  EXPECT_EQ(cut.clips, 2);
  EXPECT_EQ(cut.clip_indices, (std::vector<int64_t>{10, 11}));
  EXPECT_DOUBLE_EQ(cut.clean_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(cut.rows[0].accuracy.at(a), 0.5);
  EXPECT_EQ(cut.rows[0].robust.at(a), (std::vector<bool>{true, false}));
  // Combinable with a run on the first 2 clips.
  const auto w = worst_case({cut, report_of({row_of("mim", {{a, {0, 0}}})}, 2)});
  EXPECT_DOUBLE_EQ(w.accuracy.at(a), 0.0);
  EXPECT_THROW(first_clips(r, 5), Error);
}

// On a real (tiny) model the per-clip flags add up to the accuracies.
TEST(Robustness, PerClipFlagsAddUpToTheAccuracies) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 3);
  AvDataset ds(spec, "test", dataset_classes(spec));
  RobustnessSettings s;
  s.attacks = {"fgsm", "pgd"};
  s.budget.eps_single = 0.05;
  s.budget.eps_both = 0.03;
  s.batch_size = 4;
  ModelConfig c;
  c.num_classes = 2;
  c.image_size = 32;
  c.audio_length = 4096;
  ClipSettings clip;
  clip.image_size = 32;
  clip.audio_length = 4096;
  DefendedModel m;
  m.model = AvModel(c);
  const auto r = evaluate_robustness(m, ds, clip, s, torch::kCPU, false);
  ASSERT_EQ(static_cast<int64_t>(r.clip_indices.size()), r.clips);
  for (const auto& row : r.rows)
    for (const auto& [mod, flags] : row.robust) {
      int64_t n = 0;
      for (bool f : flags) n += f;
      EXPECT_DOUBLE_EQ(static_cast<double>(n) / r.clips, row.accuracy.at(mod));
    }
  const WorstCase w = worst_case({r});
  for (const auto& [mod, acc] : w.accuracy)
    EXPECT_LE(acc, std::min(r.rows[0].accuracy.at(mod), r.rows[1].accuracy.at(mod)));
}

}  // namespace avr
