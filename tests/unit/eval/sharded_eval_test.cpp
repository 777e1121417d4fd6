// Localization and embeddings sharded over two ranks (threads of this process,
// Gloo over loopback) give what one process gives, clip for clip: the attacks
// draw from each clip's own stream, so which rank scores a batch changes nothing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "avr/dist/process_group.h"
#include "avr/eval/embeddings.h"
#include "avr/eval/localization.h"
#include "avr/models/checkpoint.h"
#include "test_support.h"

namespace avr {
namespace {

// A per-clip cIoU vector with NaN (box out of view) equal to NaN.
bool same_ciou(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

}  // namespace

TEST(ShardedEval, LocalizationOnTwoRanksIsOneProcessClipForClip) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir.path(), /*test_clips=*/5);
  DatasetSpec spec;
  spec.root = dir.path();
  spec = spec.resolved();
  test::save_untrained_localizer(dir / "loc.pt", profile);
  ClipSettings clip;
  clip.image_size = 64;
  clip.audio_length = profile.audio_length;
  LocalizationSettings s;
  s.attack = "pgd";
  s.attack_settings = {{"steps", 2}, {"random_start", true}};
  s.budget.eps_single = 0.03;
  s.budget.eps_both = 0.02;
  s.batch_size = 2;  // batches {0,1} {2,3} {4}: rank 0 scores the first and last, rank 1 the middle one
  s.examples = 3;    // example rows 0, 1 on rank 0 and row 2 on rank 1
  s.seed = 5;
  s.workers = 1;
  auto run = [&](dist::ProcessGroup* group) {
    AvDataset ds(spec, "test", profile.classes);
    return evaluate_localization(load_checkpoint(dir / "loc.pt").model, ds, read_box_table(default_boxes_path(ds)),
                                 clip, s, false, group);
  };
  const LocalizationReport one = run(nullptr);
  std::vector<LocalizationReport> two(2);
  test::on_ranks(2, [&](dist::ProcessGroup& g) { two[g.rank()] = run(&g); });

  for (const auto& r : two) {
    EXPECT_EQ(test::without_seconds(nlohmann::json(r)), test::without_seconds(nlohmann::json(one)));
    ASSERT_EQ(r.conditions.size(), 4u);
    for (size_t c = 0; c < r.conditions.size(); ++c) {
      const auto &a = one.conditions[c], &b = r.conditions[c];
      EXPECT_TRUE(same_ciou(a.scores.ciou, b.scores.ciou)) << a.name;
      EXPECT_EQ(a.scores.hit, b.scores.hit) << a.name;
      EXPECT_EQ(a.scores.prediction, b.scores.prediction) << a.name;
      EXPECT_EQ(a.max_linf_frames, b.max_linf_frames) << a.name;
      EXPECT_EQ(a.max_linf_audio, b.max_linf_audio) << a.name;
    }
    EXPECT_TRUE(same_ciou(one.center_prior.ciou, r.center_prior.ciou));
    ASSERT_EQ(r.examples.size(), 3u);
    for (size_t e = 0; e < 3; ++e)
      for (size_t v = 0; v < 4; ++v) {
        const auto &a = one.examples[e].views[v], &b = r.examples[e].views[v];
        EXPECT_EQ(a.frame.rgb, b.frame.rgb) << e << " " << v;
        EXPECT_EQ(a.attention.values, b.attention.values) << e << " " << v;
        EXPECT_EQ(a.attention.width, b.attention.width);
        EXPECT_EQ(a.prediction, b.prediction);
      }
  }
  // The attacks did move the inputs (the comparison is not of clean copies).
  EXPECT_GT(one.condition("✗AV").max_linf_frames, 0.01);
}

TEST(ShardedEval, EmbeddingsOnTwoRanksAreOneProcessRowsInDatasetOrder) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir.path(), /*test_clips=*/5);
  DatasetSpec spec;
  spec.root = dir.path();
  spec = spec.resolved();
  test::save_untrained_concat(dir / "av.pt", profile);
  EmbeddingSettings s;
  s.attack = "pgd";
  s.attack_settings = {{"steps", 2}, {"random_start", true}};
  s.budget.eps_single = 0.03;
  s.batch_size = 2;  // rank 0: rows 0, 1, 4; rank 1: rows 2, 3
  s.seed = 9;
  s.workers = 1;
  auto run = [&](dist::ProcessGroup* group) {
    DefendedModel m;
    m.model = load_checkpoint(dir / "av.pt").model;
    ClipSettings clip;
    clip.image_size = m.model->config().image_size;
    clip.audio_length = m.model->config().audio_length;
    AvDataset ds(spec, "test", profile.classes);
    return collect_embeddings(m, ds, clip, s, torch::kCPU, false, group);
  };
  const ClipEmbeddings one = run(nullptr);
  std::vector<ClipEmbeddings> two(2);
  test::on_ranks(2, [&](dist::ProcessGroup& g) { two[g.rank()] = run(&g); });
  ASSERT_EQ(one.size(), 5);
  EXPECT_TRUE(torch::equal(one.indices, torch::arange(5, torch::kInt64)));
  for (const auto& e : two) {
    EXPECT_TRUE(torch::equal(e.indices, one.indices));
    EXPECT_TRUE(torch::equal(e.labels, one.labels));
    EXPECT_TRUE(torch::equal(e.audio, one.audio));
    EXPECT_TRUE(torch::equal(e.visual, one.visual));
    EXPECT_TRUE(torch::equal(e.attacked_audio, one.attacked_audio));
    EXPECT_TRUE(torch::equal(e.attacked_visual, one.attacked_visual));
  }
  EXPECT_FALSE(torch::equal(one.attacked_visual, one.visual));
}

}  // namespace avr
