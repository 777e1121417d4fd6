#include "avr/train/attended_visual_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/train/train_config.h"

namespace avr {
namespace {

ModelConfig localizer(const std::string& map) {
  ModelConfig c;
  c.kind = ModelKind::Localizer;
  c.num_classes = 4;
  c.image_size = 48;
  c.audio_length = 4096;
  c.attention_map = map;
  c.seed = 3;
  return c;
}

struct Inputs {
  torch::Tensor audio, frames, labels;
};

Inputs inputs() {
  auto g = at::make_generator<at::CPUGeneratorImpl>(2);
  return {torch::rand({3, 4096}, g) * 2 - 1, torch::rand({3, 3, 48, 48}, g),
          torch::tensor({0, 3, 1}, torch::kInt64)};
}

torch::Tensor ce_by_hand(const torch::Tensor& logits, const torch::Tensor& y) {
  return -torch::log_softmax(logits, 1).gather(1, y.unsqueeze(1)).squeeze(1);
}

TEST(AttendedVisualLoss, LocalIsTheCeOfTheAttendedLayer2FeatureAndTrainsTheAttention) {
  AvModel m(localizer("local"));
  m->eval();
  const auto x = inputs();
  Features f = m->encode(x.audio, x.frames);
  ASSERT_EQ(f.local.sizes(), (std::vector<int64_t>{3, 128}));
  auto loss = attended_visual_loss(*m, f, x.labels);
  auto want = ce_by_hand(m->local_classifier->forward(f.local), x.labels);
  EXPECT_TRUE(torch::allclose(loss, want, 1e-5, 1e-6)) << loss << want;
  // Its gradient reaches where the map looks (query and keys), the local
  // classifier and the visual net, and leaves the Concat head alone: it is
  // the signal the saturated Concat CE does not give.
  loss.mean().backward();
  for (const auto* p : {&m->attention_query->weight, &m->attention_key->weight,
                        &m->local_classifier->weight, &m->visual_net->layer2[0]->as<BasicBlock>()->conv1->weight}) {
    ASSERT_TRUE(p->grad().defined());
    EXPECT_GT(p->grad().abs().max().item<double>(), 0.0);
  }
  EXPECT_FALSE(m->classifier->weight.grad().defined() &&
               m->classifier->weight.grad().abs().max().item<double>() > 0);
  // Pointing the weights at another cell changes the loss: with all weight
  // on one cell the attended feature is that cell's layer2 feature.
  torch::NoGradGuard no_grad;
  auto [g, map] = m->visual_net->layer2_and_feature_map(x.frames);
  Features at0 = f, at1 = f;
  at0.local = g.flatten(2).select(2, 0);
  at1.local = g.flatten(2).select(2, 35);
  EXPECT_FALSE(torch::allclose(attended_visual_loss(*m, at0, x.labels),
                               attended_visual_loss(*m, at1, x.labels)));
}

TEST(AttendedVisualLoss, FinalIsTheVisualHalfOfTheConcatHeadOnTheAttendedFeature) {
  AvModel m(localizer("final"));
  m->eval();
  const auto x = inputs();
  torch::NoGradGuard no_grad;
  Features f = m->encode(x.audio, x.frames);
  EXPECT_FALSE(f.local.defined());
  auto w_v = m->classifier->weight.narrow(1, 0, 512);
  auto want = ce_by_hand(torch::matmul(f.visual, w_v.t()) + m->classifier->bias, x.labels);
  EXPECT_TRUE(torch::allclose(attended_visual_loss(*m, f, x.labels), want, 1e-5, 1e-6));
}

TEST(AttendedVisualLoss, NeedsALocalizerAndItsAttendedFeature) {
  ModelConfig av;
  av.num_classes = 4;
  av.image_size = 48;
  av.audio_length = 4096;
  AvModel plain(av);
  const auto x = inputs();
  Features f;
  f.visual = torch::zeros({3, 512});
  EXPECT_THROW(attended_visual_loss(*plain, f, x.labels), Error);
  AvModel loc(localizer("local"));
  try {
    attended_visual_loss(*loc, f, x.labels);  // no Features::local
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attended layer2 feature"), std::string::npos) << e.what();
  }
}

TEST(AttendedVisualLoss, ItsWeightIsPartOfALocalizersTrainConfigOnly) {
  TrainConfig c;
  c.model.kind = ModelKind::Localizer;
  c.model.num_classes = 4;
  nlohmann::json j = c;
  EXPECT_EQ(j.at("attended_visual_weight"), 1.0);
  j.erase("attended_visual_weight");  // written before the term existed: CE alone
  EXPECT_EQ(j.get<TrainConfig>().attended_visual_weight, 0.0);
  c.model.kind = ModelKind::AudioVisual;
  EXPECT_FALSE(nlohmann::json(c).contains("attended_visual_weight"));
  c.attended_visual_weight = -1;
  EXPECT_THROW(c.validate(), Error);
}

}  // namespace
}  // namespace avr
