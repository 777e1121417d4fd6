#include "avr/models/av_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/runtime.h"

namespace avr {
namespace {

// As every avr program does at start-up: without it glibc returns and re-faults
// the large activation buffers on every forward (PLATFORM.md).
const bool allocator_configured = (configure_allocator(), true);

// Tiny inputs keep the whole binary fast on 2 cores: 48 px gives a 2×2
// feature map (4 attention positions), 4096 samples one audio step.
ModelConfig config(const std::string& kind, const std::string& fusion = "concat",
                   int64_t image = 48, int64_t audio = 4096) {
  ModelConfig c;
  c.kind = parse_model_kind(kind);
  c.fusion = kind == "av" ? parse_fusion(fusion) : FusionKind::None;
  c.num_classes = 5;
  c.image_size = image;
  c.audio_length = audio;
  c.seed = 11;
  return c;
}

struct Batch {
  torch::Tensor audio, frames;
};

Batch batch(const ModelConfig& c, int64_t b = 2, uint64_t seed = 1) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  Batch x;
  x.audio = torch::rand({b, c.audio_length}, g) * 2 - 1;
  x.frames = torch::rand({b, 3, c.image_size, c.image_size}, g);
  return x;
}

TEST(AvModel, OutputShapesOfEveryKindAndFusion) {
  torch::NoGradGuard no_grad;
  std::vector<ModelConfig> cfgs;
  for (const FusionKind f : fusion_kinds()) cfgs.push_back(config("av", to_string(f)));
  for (const char* k : {"audio", "visual", "localizer"}) cfgs.push_back(config(k));
  for (auto c0 : cfgs) {
    for (auto [image, audio] : {std::pair<int64_t, int64_t>{32, 4096}, {64, 8192}}) {
      auto c = c0;
      c.image_size = image;
      c.audio_length = audio;
      AvModel m(c);
      m->eval();
      auto x = batch(c, 2);
      SCOPED_TRACE(to_string(c.kind) + "/" + to_string(c.fusion) + " " + std::to_string(image) + "px " +
                   std::to_string(audio));
      auto f = m->encode(x.audio, x.frames);
      EXPECT_EQ(f.audio.defined(), c.kind != ModelKind::Visual);
      EXPECT_EQ(f.visual.defined(), c.kind != ModelKind::Audio);
      if (f.audio.defined()) {
        EXPECT_EQ(f.audio.sizes(), (std::vector<int64_t>{2, 512}));
      }
      if (f.visual.defined()) {
        EXPECT_EQ(f.visual.sizes(), (std::vector<int64_t>{2, 512}));
      }
      EXPECT_EQ(m->forward(x.audio, x.frames).sizes(), (std::vector<int64_t>{2, 5}));
      if (c.kind == ModelKind::Localizer) {
        const int64_t h = visual_net_output_size(image, c.localizer_stride);
        EXPECT_EQ(m->localize(x.audio, x.frames).attention.sizes(),
                  (std::vector<int64_t>{2, h, h}));
      }
    }
  }
}

TEST(AvModel, UnimodalModelsIgnoreTheOtherInput) {
  torch::NoGradGuard no_grad;
  AvModel a(config("audio")), v(config("visual"));
  a->eval();
  v->eval();
  auto x = batch(config("av"));
  EXPECT_TRUE(torch::equal(a->forward(x.audio, torch::Tensor()), a->forward(x.audio, x.frames)));
  EXPECT_TRUE(torch::equal(v->forward(torch::Tensor(), x.frames), v->forward(x.audio, x.frames)));
  EXPECT_FALSE(a->visual_net);
  EXPECT_FALSE(v->audio_net);
  EXPECT_THROW(a->encode_visual(x.frames), Error);
  EXPECT_EQ(a->classifier->weight.sizes(), (std::vector<int64_t>{5, 512}));
}

TEST(AvModel, GradientsReachBothEncodersAndBothInputsForEveryFusion) {
  std::vector<ModelConfig> cfgs;
  for (const FusionKind f : fusion_kinds()) cfgs.push_back(config("av", to_string(f), 32));
  cfgs.push_back(config("localizer", "", 64));
  for (const auto& c : cfgs) {
    SCOPED_TRACE(to_string(c.kind) + "/" + to_string(c.fusion));
    AvModel m(c);
    m->train();
    auto x = batch(c, 3);
    x.audio.requires_grad_(true);
    x.frames.requires_grad_(true);
    auto logits = m->forward(x.audio, x.frames);
    torch::nn::functional::cross_entropy(logits, torch::tensor({0, 1, 2})).backward();
    auto grad_norm = [](const std::vector<torch::Tensor>& ps) {
      double s = 0;
      for (const auto& p : ps) s += p.grad().defined() ? p.grad().abs().sum().item<double>() : 0;
      return s;
    };
    auto groups = m->parameter_groups();
    EXPECT_GT(grad_norm(groups.audio), 0);
    EXPECT_GT(grad_norm(groups.visual), 0);
    EXPECT_GT(grad_norm(groups.head), 0);
    EXPECT_GT(grad_norm({m->audio_net->features[0]->as<torch::nn::Conv1d>()->weight}), 0);
    EXPECT_GT(grad_norm({m->visual_net->conv1->weight}), 0);
    // Attacks need these: the gradient w.r.t. raw audio and raw pixels.
    EXPECT_GT(x.audio.grad().abs().sum().item<double>(), 0);
    EXPECT_GT(x.frames.grad().abs().sum().item<double>(), 0);
    EXPECT_TRUE(torch::isfinite(x.frames.grad()).all().item<bool>());
  }
}

TEST(AvModel, EvalForwardIsDeterministicAndFeaturesPathEqualsForward) {
  for (const char* fusion : {"concat", "film", "gated_concat"}) {
    auto c = config("av", fusion);
    AvModel m(c);
    m->eval();
    auto x = batch(c, 2);
    torch::NoGradGuard no_grad;
    auto y1 = m->forward(x.audio, x.frames);
    auto y2 = m->forward(x.audio, x.frames);
    EXPECT_TRUE(torch::equal(y1, y2)) << fusion;
    EXPECT_TRUE(torch::equal(m->classify(m->encode(x.audio, x.frames)), y1)) << fusion;
    Features f{m->encode_audio(x.audio), m->encode_visual(x.frames), {}};
    EXPECT_TRUE(torch::equal(m->classify(f), y1)) << fusion;
    // The same seed builds the same model; another seed another.
    AvModel same(c);
    same->eval();
    EXPECT_TRUE(torch::equal(same->forward(x.audio, x.frames), y1));
    c.seed = 12;
    AvModel other(c);
    other->eval();
    EXPECT_FALSE(torch::allclose(other->forward(x.audio, x.frames), y1));
  }
}

TEST(AvModel, SameSeedSharesEncodersAcrossKinds) {
  AvModel av(config("av")), audio(config("audio"));
  EXPECT_TRUE(torch::equal(av->audio_net->named_parameters()["features.24.weight"],
                           audio->audio_net->named_parameters()["features.24.weight"]));
}

TEST(AvModel, LocalizerAttentionIsASoftmaxOverPositions) {
  auto c = config("localizer", "", 96);  // 3×3 positions
  c.attention_map = "final";              // on the last map,
  c.attention_query = "audio";            // the paper's w_i ∝ exp(f_aᵀ f_v^i)
  c.localizer_stride = 32;
  AvModel m(c);
  m->eval();
  auto x = batch(c, 2);
  torch::NoGradGuard no_grad;
  auto out = m->localize(x.audio, x.frames);
  ASSERT_EQ(out.attention.sizes(), (std::vector<int64_t>{2, 3, 3}));
  auto sums = out.attention.sum({1, 2});
  EXPECT_TRUE(torch::allclose(sums, torch::ones_like(sums), 1e-5, 1e-6)) << sums;
  EXPECT_GE(out.attention.min().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(out.logits, m->forward(x.audio, x.frames)));
  // w_i = softmax_i(f_aᵀ f_v^i) and f_v^att = Σ_i w_i f_v^i, computed by hand.
  auto fa = m->encode_audio(x.audio);
  auto map = m->visual_net->feature_map(x.frames).flatten(2);  // [B,512,9]
  auto w = torch::softmax((fa.unsqueeze(2) * map).sum(1), 1);
  EXPECT_TRUE(torch::allclose(w.view({2, 3, 3}), out.attention, 1e-4, 1e-6));
  auto att = (map * w.unsqueeze(1)).sum(2);
  EXPECT_TRUE(torch::allclose(att, out.features.visual, 1e-4, 1e-5));
  // Then the Concat head: [f_v^att ; f_a].
  auto logits = m->classifier->forward(torch::cat({att, fa}, 1));
  EXPECT_TRUE(torch::allclose(logits, out.logits, 1e-4, 1e-5));
  EXPECT_THROW(m->encode_visual(x.frames), Error);
  AvModel plain(config("av"));
  EXPECT_THROW(plain->localize(x.audio, x.frames), Error);
}

TEST(AvModel, LocalizerLocalAttentionIsACosineSoftmaxOverLayer2Cells) {
  // The default: keys from layer2 (stride 8, 6×6 at 48 px), cosine scores
  // with the projected audio query, temperature τ; the attended last map
  // feeds the Concat head, the attended layer2 feature is kept for the loss.
  auto c = config("localizer");
  c.attention_temperature = 3.0;
  AvModel m(c);
  m->eval();
  auto x = batch(c, 2);
  torch::NoGradGuard no_grad;
  auto out = m->localize(x.audio, x.frames);
  ASSERT_EQ(out.attention.sizes(), (std::vector<int64_t>{2, 6, 6}));
  auto fa = m->encode_audio(x.audio);
  auto [g, map] = m->visual_net->layer2_and_feature_map(x.frames);
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{2, 128, 6, 6}));
  auto gf = g.flatten(2), mf = map.flatten(2);  // [B,128,36], [B,512,36]
  auto q = m->attention_query->forward(fa);     // [B,128]
  auto k = m->attention_key->forward(gf.transpose(1, 2));  // [B,36,128]
  auto cos = (k * q.unsqueeze(1)).sum(2) / (k.norm(2, 2) * q.norm(2, 1).unsqueeze(1));
  auto w = torch::softmax(3.0 * cos, 1);
  EXPECT_TRUE(torch::allclose(w.view({2, 6, 6}), out.attention, 1e-4, 1e-6));
  EXPECT_TRUE(torch::allclose((mf * w.unsqueeze(1)).sum(2), out.features.visual, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose((gf * w.unsqueeze(1)).sum(2), out.features.local, 1e-4, 1e-5));
  auto logits = m->classifier->forward(torch::cat({out.features.visual, fa}, 1));
  EXPECT_TRUE(torch::allclose(logits, out.logits, 1e-4, 1e-5));
  // Its new parts train with the head.
  const auto groups = m->parameter_groups();
  auto in_head = [&](const torch::Tensor& t) {
    for (const auto& p : groups.head)
      if (p.is_same(t)) return true;
    return false;
  };
  EXPECT_TRUE(in_head(m->attention_key->weight));
  EXPECT_TRUE(in_head(m->local_classifier->weight));
  EXPECT_TRUE(in_head(m->attention_query->weight));
}

TEST(AvModel, InitFromUnimodalConcatGivesTheSumOfUnimodalLogits) {
  auto ca = config("audio"), cv = config("visual"), cav = config("av", "concat");
  ca.seed = 1;
  cv.seed = 2;
  cav.seed = 3;
  AvModel a(ca), v(cv), av(cav);
  // Make the BN statistics non-trivial so copying them is visible in eval mode.
  auto x = batch(cav, 4, 9);
  a->train();
  v->train();
  {
    torch::NoGradGuard no_grad;
    a->forward(x.audio, {});
    v->forward({}, x.frames);
  }
  init_from_unimodal(av, a, v);
  a->eval();
  v->eval();
  av->eval();
  torch::NoGradGuard no_grad;
  auto expected = a->forward(x.audio, {}) + v->forward({}, x.frames);
  auto got = av->forward(x.audio, x.frames);
  EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5)) << (got - expected).abs().max();
  EXPECT_GT(expected.abs().max().item<double>(), 1e-3);

  // Other fusions: encoders copied, head left as initialised.
  auto cs = config("av", "gated_sum");
  AvModel gs(cs);
  gs->eval();
  auto head_before = gs->classifier->weight.clone();
  init_from_unimodal(gs, a, v);
  EXPECT_TRUE(torch::equal(gs->classifier->weight, head_before));
  EXPECT_TRUE(torch::equal(gs->encode_audio(x.audio), a->encode_audio(x.audio)));
  EXPECT_TRUE(torch::equal(gs->encode_visual(x.frames), v->encode_visual(x.frames)));
  EXPECT_THROW(init_from_unimodal(gs, v, a), Error);  // swapped roles
}

TEST(AvModel, LocalizerMapAt48PxIsFineEnoughToPointInsideAPictogram) {
  // Default localizer: layer3 and layer4 dilated (output stride 8): 6×6 at
  // 48 px, where ResNet18 as is gives 2×2 (a cell wider than the instrument).
  const auto c = config("localizer");
  EXPECT_EQ(c.localizer_stride, 8);
  AvModel m(c);
  m->eval();
  auto x = batch(c, 2);
  torch::NoGradGuard no_grad;
  const auto att = m->localize(x.audio, x.frames).attention;
  EXPECT_GE(att.size(1), 4);
  EXPECT_GE(att.size(2), 4);
  EXPECT_EQ(att.sizes(), (std::vector<int64_t>{2, 6, 6}));
  auto coarse = c;
  coarse.attention_map = "final";  // the local attention needs layer2's stride-8 grid
  coarse.localizer_stride = 32;
  EXPECT_EQ(AvModel(coarse)->localize(x.audio, x.frames).attention.sizes(),
            (std::vector<int64_t>{2, 2, 2}));
}

TEST(AvModel, InitFromUnimodalStartsTheLocalizerQueryAsAnAudioWeightedClassMap) {
  auto ca = config("audio"), cv = config("visual"), cl = config("localizer");
  ca.seed = 1;
  cv.seed = 2;
  cl.seed = 3;
  cl.attention_map = "final";
  AvModel a(ca), v(cv), loc(cl);
  {
    // Non-zero biases and a trained-looking head: random, as the test needs.
    torch::NoGradGuard no_grad;
    auto g = at::make_generator<at::CPUGeneratorImpl>(5);
    a->classifier->bias.copy_(torch::randn({5}, g));
    v->classifier->bias.copy_(torch::randn({5}, g));
  }
  init_from_unimodal(loc, a, v);
  a->eval();
  v->eval();
  loc->eval();
  auto x = batch(cl, 2, 4);
  torch::NoGradGuard no_grad;
  // Scores by hand: centered audio logits · visual class scores at each
  // position of the stride-8 map (the visual bias cancels).
  auto al = a->forward(x.audio, {});
  al = al - al.mean(1, true);
  auto map = loc->visual_net->feature_map(x.frames).flatten(2);  // [B,512,36]
  auto cam = torch::matmul(v->classifier->weight, map);          // [B,5,36]
  auto scores = (al.unsqueeze(2) * cam).sum(1);
  auto want = torch::softmax(scores, 1).view({2, 6, 6});
  auto got = loc->localize(x.audio, x.frames).attention;
  EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-6)) << (got - want).abs().max();
  // The dilated map holds the stride-32 map at every 4th position (à trous).
  auto fine = loc->visual_net->feature_map(x.frames);
  auto coarse = v->visual_net->feature_map(x.frames);
  ASSERT_EQ(coarse.sizes(), (std::vector<int64_t>{2, 512, 2, 2}));
  using torch::indexing::Slice;
  auto sub = fine.index({Slice(), Slice(), Slice(0, 6, 4), Slice(0, 6, 4)});
  EXPECT_TRUE(torch::allclose(sub, coarse, 1e-4, 1e-5)) << (sub - coarse).abs().max();
}

}  // namespace
}  // namespace avr
