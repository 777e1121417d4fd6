#include "avr/eval/tsne.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/eval/embeddings.h"
#include "test_support.h"

namespace avr {
namespace {

torch::Generator gen(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// `k` Gaussian clusters of `per` points in `d` dimensions: centers N(0, 10²),
// points N(center, 1) — far apart relative to their spread.
std::pair<torch::Tensor, torch::Tensor> clusters(int64_t k, int64_t per, int64_t d, uint64_t seed) {
  auto g = gen(seed);
  auto centers = torch::randn({k, d}, g, torch::kFloat64) * 10;
  auto labels = torch::arange(k, torch::kInt64).repeat_interleave(per);
  auto x = centers.index_select(0, labels) + torch::randn({k * per, d}, g, torch::kFloat64);
  return {x, labels};
}

// Leave-one-out 1-NN class accuracy of points `y` [n, m].
double nn_accuracy(const torch::Tensor& y, const torch::Tensor& labels) {
  auto d = torch::cdist(y, y);
  d.fill_diagonal_(std::numeric_limits<double>::infinity());
  return labels.index_select(0, d.argmin(1)).eq(labels).to(torch::kFloat64).mean().item<double>();
}

using test::error_of;

}  // namespace

TEST(TsneAffinities, EveryRowReachesTheTargetPerplexityAtAnyFeatureScale) {
  const double perplexity = 15;
  for (double scale : {0.01, 1.0, 100.0}) {  // β starts at 1: tiny and huge distances both
    auto x = torch::randn({120, 10}, gen(1), torch::kFloat64) * scale;
    auto p = tsne_conditional_affinities(x, perplexity);
    ASSERT_EQ(p.sizes(), (std::vector<int64_t>{120, 120}));
    EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({120}, torch::kFloat64), 0, 1e-12));
    EXPECT_EQ(p.diagonal().abs().max().item<double>(), 0.0);
    auto entropy = -torch::xlogy(p, p).sum(1);  // nats
    EXPECT_LT((entropy - std::log(perplexity)).abs().max().item<double>(), 1e-3) << "scale " << scale;
  }
}

TEST(Tsne, SeparatesWellSeparatedClustersAndKlFallsAfterExaggeration) {
  auto [x, labels] = clusters(5, 40, 50, 7);
  TsneSettings s;
  s.seed = 3;
  auto r = tsne(x, s);
  ASSERT_EQ(r.embedding.sizes(), (std::vector<int64_t>{200, 2}));
  EXPECT_GE(nn_accuracy(r.embedding, labels), 0.95);
  EXPECT_DOUBLE_EQ(r.learning_rate, 50.0);  // auto: max(200/12/4, 50)

  // KL with the true P, at the end of exaggeration and at the end.
  double kl_at_switch = -1;
  for (const auto& h : r.kl_history)
    if (h.iteration == s.exaggeration_iterations) kl_at_switch = h.kl;
  ASSERT_GT(kl_at_switch, 0);
  EXPECT_EQ(r.kl_history.back().iteration, s.iterations);
  EXPECT_EQ(r.kl, r.kl_history.back().kl);
  EXPECT_LT(r.kl, kl_at_switch);
  EXPECT_GT(r.kl, 0);
}

TEST(Tsne, SameSeedGivesTheSameMapAndAnotherSeedAnotherMap) {
  auto [x, labels] = clusters(3, 20, 20, 11);
  TsneSettings s;
  s.perplexity = 10;
  s.iterations = 300;
  s.seed = 5;
  auto a = tsne(x, s), b = tsne(x, s);
  EXPECT_TRUE(torch::equal(a.embedding, b.embedding));
  EXPECT_EQ(a.kl, b.kl);
  s.seed = 6;
  auto c = tsne(x, s);
  EXPECT_GT((a.embedding - c.embedding).abs().max().item<double>(), 1e-3);
}

// Rows run in parallel (tsne.cpp is compiled with OpenMP): the map must not depend on
// how many threads split them.
TEST(Tsne, OneAndTwoThreadsGiveTheSameBits) {
  auto [x, labels] = clusters(3, 20, 20, 12);
  TsneSettings s;
  s.perplexity = 10;
  s.iterations = 300;
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = tsne(x, s);
  at::set_num_threads(2);
  const auto two = tsne(x, s);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.embedding, two.embedding));
  EXPECT_EQ(one.kl, two.kl);
}

TEST(Tsne, InvalidSettingsAndInputsThrowActionableErrors) {
  auto x = torch::randn({20, 4}, gen(2), torch::kFloat64);
  TsneSettings s;  // perplexity 30 > 19 other points
  EXPECT_NE(error_of([&] { tsne(x, s); }).find("must be below 19"), std::string::npos)
      << error_of([&] { tsne(x, s); });
  s.perplexity = 5;
  s.iterations = 0;
  EXPECT_NE(error_of([&] { s.validate(); }).find("iterations"), std::string::npos);
  s.iterations = 100;
  s.exaggeration_iterations = 250;
  EXPECT_NE(error_of([&] { s.validate(); }).find("exaggeration iterations"), std::string::npos);
  s.exaggeration_iterations = 50;
  s.learning_rate = -1;
  EXPECT_NE(error_of([&] { s.validate(); }).find("learning rate"), std::string::npos);
  s.learning_rate = 0;
  s.validate(20);
  auto bad = x.clone();
  bad[3][1] = std::nan("");
  EXPECT_NE(error_of([&] { tsne(bad, s); }).find("NaN"), std::string::npos);
  EXPECT_NE(error_of([&] { tsne(x.flatten(), s); }).find("[points, features]"), std::string::npos);

  // JSON round trip; a typo is an error, not a silent default.
  nlohmann::json j = s;
  TsneSettings back = j.get<TsneSettings>();
  EXPECT_EQ(back.perplexity, 5);
  EXPECT_EQ(back.exaggeration_iterations, 50);
  EXPECT_NE(error_of([] { nlohmann::json{{"perplexty", 5}}.get<TsneSettings>(); })
                .find("unknown key 'perplexty'"),
            std::string::npos);
}

// Stats on hand-made features: audio is one tight cluster per class, visual
// is noise, and the "attack" maps each clip's audio to the other class's.
TEST(EmbeddingMap, StatsSayWhatThePictureShows) {
  const int64_t per = 15, n = 2 * per;
  auto g = gen(4);
  auto labels = torch::arange(2, torch::kInt64).repeat_interleave(per);
  auto centers = torch::rand({2, 64}, g);
  ClipEmbeddings e;
  e.classes = {"cello", "flute"};
  e.labels = labels;
  e.audio = (centers.index_select(0, labels) + 0.05 * torch::rand({n, 64}, g)).to(torch::kFloat32);
  e.visual = torch::rand({n, 64}, g).to(torch::kFloat32);
  e.attacked_audio = e.audio.flip(0);  // clip i takes clip n−1−i's audio, of the other class
  e.attacked_visual = e.visual.clone();
  TsneSettings s;
  s.perplexity = 10;
  s.iterations = 500;
  auto m = embedding_map(e, paper_figure_groups(10), s, "Fig. 10");
  ASSERT_EQ(m.tsne.embedding.size(0), 3 * n);
  const auto& audio = m.stats_of(EmbeddingGroup::Audio);
  EXPECT_EQ(audio.nn_accuracy, 1.0);
  EXPECT_LT(audio.intra_inter_ratio, 0.5);
  EXPECT_GT(audio.silhouette, 0.5);
  EXPECT_GT(audio.map_silhouette, 0.5);
  EXPECT_TRUE(std::isnan(audio.shift));
  const auto& visual = m.stats_of(EmbeddingGroup::Visual);
  EXPECT_NEAR(visual.intra_inter_ratio, 1.0, 0.1);
  EXPECT_LT(visual.silhouette, 0.2);
  const auto& attacked = m.stats_of(EmbeddingGroup::AttackedAudio);
  EXPECT_EQ(attacked.nn_accuracy, 0.0);
  EXPECT_GT(attacked.intra_inter_ratio, 2.0);
  EXPECT_LT(attacked.silhouette, -0.5);
  EXPECT_GT(attacked.shift, 0.01);

  ASSERT_EQ(m.plot.groups.size(), 3u);
  EXPECT_EQ(m.plot.groups[0].marker, Marker::circle);
  EXPECT_EQ(m.plot.groups[1].marker, Marker::triangle);
  EXPECT_EQ(m.plot.groups[2].marker, Marker::star);
  EXPECT_EQ(m.plot.groups[2].name, "attacked audio");
  const std::string svg = m.plot.to_svg();
  EXPECT_NE(svg.find("attacked audio"), std::string::npos);
  EXPECT_NE(svg.find("flute"), std::string::npos);
  EXPECT_THROW(paper_figure_groups(6), Error);
}

// results.json's stats read back (the study's findings read nn_accuracy): a clean group's
// shift (NaN) is written as null and read back as NaN; keys are strict.
TEST(EmbeddingMap, GroupStatsRoundTripThroughJson) {
  GroupStats s;
  s.group = "audio";
  s.points = 24;
  s.nn_accuracy = 0.75;
  s.intra_inter_ratio = 0.9;
  s.silhouette = 0.1;
  s.map_silhouette = -0.2;
  s.shift = NAN;
  const nlohmann::json j = s;
  EXPECT_TRUE(j.at("shift").is_null());
  const auto back = j.get<GroupStats>();
  EXPECT_EQ(back.nn_accuracy, 0.75);
  EXPECT_TRUE(std::isnan(back.shift));
  EXPECT_EQ(nlohmann::json(back), j);
  auto bad = j;
  bad["nn_acc"] = 0.5;
  EXPECT_NE(test::error_of([&] { bad.get<GroupStats>(); }).find("unknown key 'nn_acc'"), std::string::npos);
  bad = j;
  bad.erase("nn_accuracy");
  EXPECT_NE(test::error_of([&] { bad.get<GroupStats>(); }).find("'nn_accuracy' is missing"), std::string::npos);
}

TEST(Embeddings, TinyModelGivesOneRowPerClipAndEpsZeroLeavesFeaturesClean) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 3);
  AvDataset ds(spec, "test", dataset_classes(spec));
  ModelConfig c;
  c.kind = ModelKind::AudioVisual;
  c.num_classes = 2;
  c.image_size = 32;
  c.audio_length = 4096;
  DefendedModel m;
  m.model = AvModel(c);
  ClipSettings clip;
  clip.image_size = 32;
  clip.audio_length = 4096;

  EmbeddingSettings s;
  s.attack = "pgd";
  s.attack_settings = {{"steps", 3}, {"random_start", true}};
  s.budget.eps_single = 0;
  s.batch_size = 4;  // two batches: rows must be concatenated in order
  auto e = collect_embeddings(m, ds, clip, s, torch::kCPU);
  ASSERT_EQ(e.size(), 6);
  for (const auto& f : {e.audio, e.visual, e.attacked_audio, e.attacked_visual}) {
    EXPECT_EQ(f.sizes(), (std::vector<int64_t>{6, 512}));
    EXPECT_EQ(f.device(), torch::Device(torch::kCPU));
  }
  EXPECT_TRUE(torch::equal(e.labels, torch::tensor({0, 0, 0, 1, 1, 1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(e.indices, torch::arange(6, torch::kInt64)));
  EXPECT_TRUE(torch::equal(e.attacked_audio, e.audio));
  EXPECT_TRUE(torch::equal(e.attacked_visual, e.visual));
  EXPECT_EQ(e.classes, ds.classes());

  // A real budget moves each attacked modality's feature.
  s.budget.eps_single = 0.05;
  auto a = collect_embeddings(m, ds, clip, s, torch::kCPU);
  EXPECT_TRUE(torch::equal(a.audio, e.audio));
  EXPECT_FALSE(torch::allclose(a.attacked_audio, a.audio));
  EXPECT_FALSE(torch::allclose(a.attacked_visual, a.visual));
  EXPECT_EQ(a.audio_threat.eps_a, 0.05);
  EXPECT_EQ(a.visual_threat.eps_v, 0.05);

  // A unimodal model cannot give both groups.
  c.kind = ModelKind::Audio;
  c.fusion = FusionKind::None;
  m.model = AvModel(c);
  EXPECT_NE(error_of([&] { collect_embeddings(m, ds, clip, s, torch::kCPU); }).find("--model av"),
            std::string::npos);
}

}  // namespace avr
