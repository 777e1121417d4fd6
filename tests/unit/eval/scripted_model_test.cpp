// TorchScript models in the evaluation: the contract's violations give one-line errors
// naming what was expected, avr's exported models compute what the native ones do (logits,
// features and input gradients, every kind and fusion), and the forward-only objective
// equals the cached one.
#include "avr/eval/scripted_model.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "avr/core/error.h"
#include "avr/eval/defended_model.h"
#include "avr/models/torchscript_export.h"
#include "test_support.h"

namespace avr {
namespace {

constexpr int64_t kImage = 32, kAudio = 4096;

// A module whose forward is `body` (TorchScript source of a method over audio, frames).
std::filesystem::path save_module(const test::TempDir& dir, const std::string& name,
                                  const std::string& source, bool sizes = true) {
  torch::jit::Module m("m");
  m.define(source);
  if (sizes) {
    m.register_attribute("image_size", c10::IntType::get(), kImage);
    m.register_attribute("audio_length", c10::IntType::get(), kAudio);
  }
  const auto path = dir / (name + ".ts");
  m.save(path.string());
  return path;
}

// Two "classes" from the inputs' means: logits [B, 2].
const char* kGood =
    "def forward(self, audio, frames):\n"
    "    return torch.stack([audio.mean([1, 2]), frames.mean([1, 2, 3])], 1)\n";

std::string load_error(const std::filesystem::path& p, int64_t classes = 0) {
  return test::error_of([&] { ScriptedModel(p, torch::kCPU, {}, classes); });
}

TEST(ScriptedModel, AModuleThatKeepsTheContractLoads) {
  test::TempDir dir;
  ScriptedModel m(save_module(dir, "good", kGood), torch::kCPU, {}, 2);
  EXPECT_EQ(m.num_classes(), 2);
  EXPECT_EQ(m.image_size(), kImage);
  EXPECT_EQ(m.audio_length(), kAudio);
  EXPECT_FALSE(m.gives_features());
  // avr's [B, L] waveforms reach the module as [B, 1, L].
  const auto audio = torch::full({3, kAudio}, 0.5), frames = torch::full({3, 3, kImage, kImage}, 0.25);
  const auto logits = m.forward(audio, frames).logits;
  EXPECT_TRUE(torch::allclose(logits, torch::tensor({0.5f, 0.25f}).repeat({3, 1})));
}

TEST(ScriptedModel, ContractViolationsAreOneLineErrorsSayingWhatWasExpected) {
  test::TempDir dir;
  const auto expect = [&](const std::string& name, const std::string& source, const std::string& what,
                          int64_t classes = 0, bool sizes = true) {
    const std::string e = load_error(save_module(dir, name, source, sizes), classes);
    EXPECT_NE(e.find(what), std::string::npos) << name << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << name << ": " << e;
  };
  expect("one_input", "def forward(self, x):\n    return x\n",
         "forward(x: Tensor) does not take two tensors; the contract is forward(audio [B,1,L]");
  expect("list_input", "def forward(self, audio, frames: List[Tensor]):\n    return audio\n",
         "does not take two tensors");
  // A model written for [B, L] waveforms: mm needs a matrix.
  expect("audio_2d",
         "def forward(self, audio, frames):\n    return torch.mm(audio, torch.ones(4096, 2))\n",
         "forward(audio [2,1,4096], frames [2,3,32,32]) of zeros failed (");
  expect("logits_1d", "def forward(self, audio, frames):\n    return audio.mean([1, 2])\n",
         "returned logits [2] for a batch of 2, expected [2, classes]");
  expect("logits_double",
         "def forward(self, audio, frames):\n"
         "    return torch.stack([audio.mean([1, 2]), frames.mean([1, 2, 3])], 1).double()\n",
         "logits of dtype Double, expected float32");
  expect("logits_nan",
         "def forward(self, audio, frames):\n"
         "    return torch.stack([audio.mean([1, 2]), frames.mean([1, 2, 3])], 1) / 0.0\n",
         "logits with NaN or infinite values");
  expect("pair",
         "def forward(self, audio, frames) -> Tuple[Tensor, Tensor]:\n    return audio, frames\n",
         "returned Tuple of 2 values, expected a tensor of logits or a tuple (logits, f_a, f_v)");
  expect("feature_batch",
         "def forward(self, audio, frames) -> Tuple[Tensor, Tensor, Tensor]:\n"
         "    l = torch.stack([audio.mean([1, 2]), frames.mean([1, 2, 3])], 1)\n"
         "    return l, torch.zeros(1, 8), torch.zeros(2, 8)\n",
         "returned f_a [1, 8] for a batch of 2, expected [2, feature dim]");
  expect("classes", kGood, "forward gives 2 logits but the dataset has 3 classes", 3);
  expect("no_sizes", kGood, "give the input sizes with --image-size and --audio-length", 0, false);
  std::ofstream(dir / "text.ts") << "not a module";
  EXPECT_NE(load_error(dir / "text.ts").find("is not a TorchScript file"), std::string::npos)
      << load_error(dir / "text.ts");
  EXPECT_NE(load_error(dir / "missing.ts").find("no such file"), std::string::npos);
}

ModelConfig config(const std::string& kind, const std::string& fusion) {
  ModelConfig c;
  c.kind = kind;
  c.fusion = fusion;
  c.num_classes = 3;
  c.image_size = kind == "localizer" ? 48 : kImage;
  c.audio_length = kAudio;
  return c;
}

// Batch norm with statistics and affine terms away from their identity defaults, so that
// a swapped mean/var or weight/bias in the export shows.
AvModel randomized(const ModelConfig& c) {
  torch::manual_seed(7);
  AvModel m(c);
  torch::NoGradGuard ng;
  for (auto& b : m->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
  for (auto& p : m->named_parameters())
    if (p.value().dim() == 1) p.value().uniform_(p.key().find("bias") != std::string::npos ? -0.2 : 0.5, 1.5);
  m->eval();
  return m;
}

// Every kind and fusion: the exported module's logits, features and input gradients equal
// the native model's within float tolerance.
TEST(TorchScriptExport, EveryKindComputesWhatTheNativeModelComputes) {
  test::TempDir dir;
  std::vector<ModelConfig> configs = {config("av", "concat"), config("av", "sum"),
                                      config("av", "film"),   config("av", "gated_sum"),
                                      config("av", "gated_concat"), config("audio", ""),
                                      config("visual", ""),   config("localizer", "concat")};
  configs.push_back(config("av", "gated_concat"));
  configs.back().gate_projection = false;
  configs.push_back(config("av", "concat"));
  configs.back().visual_pool = "avg";
  configs.push_back(config("localizer", "concat"));
  configs.back().attention_map = "final";
  configs.back().attention_query = "audio";
  for (const auto& c : configs) {
    const std::string name = c.kind + "_" + c.fusion + "_" + c.visual_pool + "_" + c.attention_map +
                             (c.gate_projection ? "" : "_nogate");
    AvModel native = randomized(c);
    const auto path = dir / (name + ".ts");
    export_torchscript(native, {{"a", "b", "c"}}, path);
    ScriptedModel scripted(path, torch::kCPU, {}, 3);
    EXPECT_EQ(scripted.has_audio(), c.has_audio()) << name;
    EXPECT_EQ(scripted.has_visual(), c.has_visual()) << name;
    EXPECT_EQ(scripted.gives_features(), c.has_audio() && c.has_visual()) << name;
    EXPECT_EQ(scripted.classes(), (std::vector<std::string>{"a", "b", "c"}));

    torch::manual_seed(1);
    auto audio = (torch::rand({3, kAudio}) * 2 - 1).requires_grad_();
    auto frames = torch::rand({3, 3, c.image_size, c.image_size}).requires_grad_();
    const Features f = native->encode(audio, frames);
    const auto logits = native->classify(f);
    const auto [ga, gv] = [&] {
      auto g = torch::autograd::grad({logits.sum()}, {audio, frames}, {}, true, false, /*allow_unused=*/true);
      return std::make_pair(g[0], g[1]);
    }();
    const ForwardOutput out = scripted.forward(audio, frames);
    const auto g = torch::autograd::grad({out.logits.sum()}, {audio, frames}, {}, false, false, /*allow_unused=*/true);
    EXPECT_TRUE(torch::allclose(out.logits, logits, 1e-4, 1e-5))
        << name << ": max |Δ| " << (out.logits - logits).abs().max().item<float>();
    if (scripted.gives_features()) {
      EXPECT_TRUE(torch::allclose(out.features.audio, f.audio, 1e-4, 1e-5)) << name;
      EXPECT_TRUE(torch::allclose(out.features.visual, f.visual, 1e-4, 1e-5)) << name;
    }
    if (c.has_audio())
      EXPECT_TRUE(torch::allclose(g[0], ga, 1e-3, 1e-6))
          << name << ": audio gradient max |Δ| " << (g[0] - ga).abs().max().item<float>();
    if (c.has_visual())
      EXPECT_TRUE(torch::allclose(g[1], gv, 1e-3, 1e-6))
          << name << ": frames gradient max |Δ| " << (g[1] - gv).abs().max().item<float>();
  }
}

// The attack objective of a forward-only model (the whole forward per step) equals the
// cached one of the native model, for the CE and a feature loss.
TEST(ForwardModel, ForwardOnlyObjectiveEqualsTheCachedOne) {
  test::TempDir dir;
  AvModel native = randomized(config("av", "concat"));
  export_torchscript(native, {}, dir / "m.ts");
  torch::manual_seed(2);
  const auto audio = torch::rand({3, kAudio}) * 2 - 1, frames = torch::rand({3, 3, kImage, kImage});
  const auto labels = torch::tensor({0, 1, 2}, torch::kInt64);
  const auto adv_audio = (audio + 0.01).clamp(-1, 1);
  for (const std::string loss : {"ce", "minsim"}) {
    DefendedModel cached;
    cached.model = native;
    cached.loss = loss;
    const auto want = batch_objective(cached, audio, frames)(adv_audio, frames, labels);
    for (auto fm : {native_forward_model(native),
                    std::shared_ptr<const ForwardModel>(std::make_shared<ScriptedModel>(dir / "m.ts", torch::kCPU))}) {
      DefendedModel opaque;
      opaque.forward_model = fm;
      opaque.loss = loss;
      const auto got = batch_objective(opaque, audio, frames)(adv_audio, frames, labels);
      EXPECT_TRUE(torch::allclose(got.loss, want.loss, 1e-4, 1e-5)) << loss << " " << fm->describe();
      EXPECT_TRUE(torch::allclose(got.logits, want.logits, 1e-4, 1e-5)) << loss << " " << fm->describe();
      const auto clean = opaque.defend_clean(audio, frames);
      EXPECT_TRUE(torch::allclose(opaque.logits(clean), native->forward(audio, frames), 1e-4, 1e-5));
    }
  }
}

TEST(ForwardModel, ExFMemAndFeatureLossesOnAnOpaqueModelAreClearErrors) {
  test::TempDir dir;
  DefendedModel m;
  m.forward_model = std::make_shared<ScriptedModel>(save_module(dir, "good", kGood), torch::kCPU);
  m.loss = "minsim";
  const auto audio = torch::zeros({2, kAudio}), frames = torch::zeros({2, 3, kImage, kImage});
  EXPECT_NE(test::error_of([&] { batch_objective(m, audio, frames); })
                .find("loss 'minsim' needs f_a and f_v, and TorchScript good.ts returns logits only"),
            std::string::npos);
  m.loss = "ce";
  m.exfmem = std::make_shared<ExFMem>(
      MemoryBank("audio", torch::rand({512, 4}), torch::arange(4, torch::kInt64)),
      MemoryBank("visual", torch::rand({512, 4}), torch::arange(4, torch::kInt64)), ExFMemSettings{});
  EXPECT_NE(test::error_of([&] { m.defend_clean(audio, frames); })
                .find("ExFMem cannot defend TorchScript good.ts"),
            std::string::npos);
}

}  // namespace
}  // namespace avr
