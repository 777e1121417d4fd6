// The `paper` study profile without running it (it takes about two hours:
// docs/paper_profile.md): its config validates, fits the data it generates and
// survives a JSON round trip, and a handful of clips of its synth profile
// generate, load at 224 px / 65535 samples and go through the Concat model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "avr/data/dataset.h"
#include "avr/data/loader.h"
#include "avr/models/av_model.h"
#include "avr/study/study_config.h"
#include "avr/synth/generator.h"
#include "avr/synth/profile.h"
#include "avr/train/train_config.h"
#include "test_support.h"

namespace avr {
namespace {

StudyConfig paper_config() {
  StudyConfig c = study_profile("embedded", "paper");
  c.out = "runs/study-embedded-paper";
  return c;
}

}  // namespace

TEST(PaperProfile, ValidatesAndEveryLimitFitsItsTestSplit) {
  const StudyConfig c = paper_config();
  EXPECT_NO_THROW(c.validate());
  // The study generates the synth profile of the same name (study.cpp, prepare_data).
  const SynthProfile data = profile_by_name(c.profile);
  EXPECT_NO_THROW(data.validate());
  EXPECT_EQ(data.image_size, 224);
  EXPECT_EQ(data.audio_length, 65535);
  // The paper's ε (Table 1: 0.012 on one input, 0.006 on each for ✗AV and Tables 2, 3, 6).
  EXPECT_DOUBLE_EQ(c.budget.eps_single, 0.012);
  EXPECT_DOUBLE_EQ(c.budget.eps_both, 0.006);
  // The time estimate counts these clips: none may be 0 ("the whole split") or more
  // than the split holds.
  for (const auto& [name, limit] :
       std::vector<std::pair<const char*, int64_t>>{{"attack_limit", c.attack_limit},
                                                    {"adaptive_limit", c.adaptive_limit},
                                                    {"autoattack_limit", c.autoattack_limit},
                                                    {"sweep_limit", c.sweep_limit},
                                                    {"localization_limit", c.localization_limit},
                                                    {"tsne_limit", c.tsne_limit}}) {
    EXPECT_GT(limit, 0) << name;
    EXPECT_LE(limit, data.test_clips) << name;
  }
  for (const auto& preset : {c.train_preset, c.finetune_preset}) {
    const TrainConfig t = train_preset(preset);
    EXPECT_NO_THROW(t.validate()) << preset;
    EXPECT_EQ(t.batch_size, 48) << preset << ": the original scripts' batch";
  }
  const auto names = study_profile_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "paper"), names.end());
}

TEST(PaperProfile, ConfigJsonRoundTripsAndRejectsUnknownKeys) {
  const StudyConfig c = paper_config();
  const nlohmann::json j = c;
  StudyConfig back;  // the declared defaults: everything must come from the JSON
  from_json(j, back);
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.attack_limit, c.attack_limit);
  EXPECT_EQ(back.autoattack.square_queries, c.autoattack.square_queries);

  nlohmann::json changed = j;
  changed["eps_both"] = 0.003;
  changed["tsne_limit"] = 7;
  from_json(changed, back);
  EXPECT_DOUBLE_EQ(back.budget.eps_both, 0.003);
  EXPECT_EQ(back.tsne_limit, 7);

  nlohmann::json typo = j;
  typo["atack_limit"] = 3;
  try {
    from_json(typo, back);
    FAIL() << "a misspelled key must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("atack_limit"), std::string::npos) << e.what();
  }
}

TEST(PaperProfile, AHandfulOfClipsGenerateLoadAndRunThroughConcat) {
  const test::TempDir dir;
  SynthRequest req;
  req.profile = profile_by_name("paper");
  req.profile.train_clips = 4;
  req.profile.val_clips = 2;
  req.profile.test_clips = 2;
  req.out = dir.path();
  req.jobs = 2;
  req.progress = false;
  ASSERT_EQ(generate_dataset(req).clips, 8);

  const auto [image_size, audio_length] = dataset_input_sizes(dir.path(), "embedded");
  EXPECT_EQ(image_size, 224);
  EXPECT_EQ(audio_length, 65535);
  DatasetSpec spec;
  spec.root = dir.path();
  spec = spec.resolved();
  const auto classes = dataset_classes(spec);
  ClipSettings clip;
  clip.image_size = image_size;
  clip.audio_length = audio_length;

  ModelConfig mc;
  mc.kind = ModelKind::AudioVisual;
  mc.fusion = FusionKind::Concat;
  mc.num_classes = static_cast<int64_t>(classes.size());
  mc.image_size = image_size;
  mc.audio_length = audio_length;
  AvModel model(mc);
  model->eval();
  torch::NoGradGuard no_grad;

  for (const bool train : {true, false}) {  // 256 px → 1.1×224 + random crop; resize + center crop
    const AvDataset ds(spec, train ? "train" : "test", classes);
    LoaderSettings ls;
    ls.batch_size = ds.size();
    ls.train_transforms = train;
    ls.workers = 2;
    BatchLoader loader(ds, clip, ls);
    loader.start_epoch(0);
    const auto batch = loader.next();
    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(batch->frames.sizes(), (std::vector<int64_t>{ds.size(), 3, 224, 224}));
    EXPECT_EQ(batch->audio.sizes(), (std::vector<int64_t>{ds.size(), 65535}));
    EXPECT_GE(batch->frames.min().item<float>(), 0.0f);
    EXPECT_LE(batch->frames.max().item<float>(), 1.0f);
    EXPECT_GT(batch->frames.std().item<float>(), 0.01f) << "a blank frame";
    EXPECT_LE(batch->audio.abs().max().item<float>(), 1.0f);
    // Every clip's window holds sound: the 50 stored frames cover the 65535 samples.
    EXPECT_GT(batch->audio.abs().amax(1).min().item<float>(), 0.01f) << "a silent window";
    EXPECT_FALSE(loader.next().has_value());

    const torch::Tensor logits = model->forward(batch->audio, batch->frames);
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{ds.size(), mc.num_classes}));
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  }
}

}  // namespace avr
