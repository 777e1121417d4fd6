// TorchScript models in the evaluation: the contract's violations (forward's, and the
// optional encode/classify pair's) give one-line errors naming what was expected, avr's
// exported models compute what the native ones do (logits, features and input gradients,
// every kind and fusion; encode and classify for kind av), the forward-only objective
// equals the cached one, and ExFMem, its adaptive gradients, the memory banks and the
// embeddings give on an exported module what they give on the native model.
#include "avr/eval/scripted_model.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <fstream>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/eval/defended_model.h"
#include "avr/eval/embeddings.h"
#include "avr/eval/memory_banks.h"
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
  c.kind = parse_model_kind(kind);
  c.fusion = parse_fusion(fusion);
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
    const std::string name = to_string(c.kind) + "_" + to_string(c.fusion) + "_" + c.visual_pool + "_" + c.attention_map +
                             (c.gate_projection ? "" : "_nogate");
    AvModel native = randomized(c);
    const auto path = dir / (name + ".ts");
    export_torchscript(native, {{"a", "b", "c"}}, path);
    ScriptedModel scripted(path, torch::kCPU, {}, 3);
    EXPECT_EQ(scripted.has_audio(), c.has_audio()) << name;
    EXPECT_EQ(scripted.has_visual(), c.has_visual()) << name;
    EXPECT_EQ(scripted.gives_features(), c.has_audio() && c.has_visual()) << name;
    EXPECT_EQ(scripted.classes(), (std::vector<std::string>{"a", "b", "c"}));
    // encode and classify for kind av only (docs/own_models.md says why).
    const auto split = scripted.feature_model();
    EXPECT_EQ(split != nullptr, c.kind == ModelKind::AudioVisual) << name;

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
    if (split) {
      torch::NoGradGuard ng;
      const Features e = split->encode(audio, frames);
      EXPECT_TRUE(torch::allclose(e.audio, f.audio, 1e-4, 1e-5)) << name;
      EXPECT_TRUE(torch::allclose(e.visual, f.visual, 1e-4, 1e-5)) << name;
      // classify on features encode never gave (as ExFMem's reconstructions are).
      Features other;
      other.audio = torch::rand_like(f.audio) * 3;
      other.visual = torch::rand_like(f.visual) * 3;
      EXPECT_TRUE(torch::allclose(split->classify(other), native->classify(other), 1e-4, 1e-5)) << name;
    }
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
  for (const LossKind loss : {LossKind::CrossEntropy, LossKind::MinSim}) {
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

// Hides a model's split: the forward-only path, whatever the model.
class OnlyForward : public ForwardModel {
 public:
  explicit OnlyForward(std::shared_ptr<const ForwardModel> m) : m_(std::move(m)) {}
  ForwardOutput forward(const torch::Tensor& a, const torch::Tensor& v) const override {
    return m_->forward(a, v);
  }
  bool has_audio() const override { return m_->has_audio(); }
  bool has_visual() const override { return m_->has_visual(); }
  bool gives_features() const override { return m_->gives_features(); }
  std::string describe() const override { return m_->describe(); }

 private:
  std::shared_ptr<const ForwardModel> m_;
};

TEST(ForwardModel, ExFMemAndFeatureLossesOnAnOpaqueModelAreClearErrors) {
  test::TempDir dir;
  DefendedModel m;
  m.forward_model = std::make_shared<ScriptedModel>(save_module(dir, "good", kGood), torch::kCPU);
  m.loss = LossKind::MinSim;
  const auto audio = torch::zeros({2, kAudio}), frames = torch::zeros({2, 3, kImage, kImage});
  EXPECT_NE(test::error_of([&] { batch_objective(m, audio, frames); })
                .find("loss 'minsim' needs f_a and f_v, and TorchScript good.ts returns logits only"),
            std::string::npos);
  m.loss = LossKind::CrossEntropy;
  m.exfmem = std::make_shared<ExFMem>(
      MemoryBank("audio", torch::rand({512, 4}), torch::arange(4, torch::kInt64)),
      MemoryBank("visual", torch::rand({512, 4}), torch::arange(4, torch::kInt64)), ExFMemSettings{});
  const std::string e = test::error_of([&] { m.defend_clean(audio, frames); });
  EXPECT_NE(e.find("ExFMem cannot defend TorchScript good.ts"), std::string::npos) << e;
  EXPECT_NE(e.find("give the TorchScript module encode(audio, frames) -> (f_a, f_v) and "
                   "classify(f_a, f_v) -> logits methods"),
            std::string::npos)
      << e;
  // An avr model behind a forward-only interface: the same error (nothing is guessed).
  m.forward_model = std::make_shared<OnlyForward>(native_forward_model(randomized(config("av", "concat"))));
  EXPECT_NE(test::error_of([&] { m.logits(audio, frames); }).find("ExFMem cannot defend avr av/concat"),
            std::string::npos);
}

// The optional pair on load: both or neither, two tensors each, the probe's shapes, and
// classify(encode(x)) = forward(x).
TEST(ScriptedModel, EncodeAndClassifyAreCheckedOnLoad) {
  test::TempDir dir;
  const std::string forward =
      "def forward(self, audio, frames):\n"
      "    return torch.stack([audio.mean([1, 2]), frames.mean([1, 2, 3])], 1) + 0.5\n";
  const std::string encode =
      "def encode(self, audio, frames) -> Tuple[Tensor, Tensor]:\n"
      "    return audio.mean([1]), frames.mean([1]).flatten(1)\n";
  const std::string classify =
      "def classify(self, f_a, f_v):\n"
      "    return torch.stack([f_a.mean([1]), f_v.mean([1])], 1) + 0.5\n";
  {
    ScriptedModel m(save_module(dir, "split", forward + encode + classify), torch::kCPU, {}, 2);
    const auto split = m.feature_model();
    ASSERT_TRUE(split);
    EXPECT_FALSE(split->encodes_branches());
    const auto audio = torch::rand({3, kAudio}), frames = torch::rand({3, 3, kImage, kImage});
    const Features f = split->encode(audio, frames);  // [B, L] reaches it as [B, 1, L]
    EXPECT_EQ(f.audio.sizes(), (std::vector<int64_t>{3, kAudio}));
    EXPECT_EQ(f.visual.sizes(), (std::vector<int64_t>{3, kImage * kImage}));
    EXPECT_TRUE(torch::allclose(split->classify(f), m.forward(audio, frames).logits));
    // Every call is checked as the probe was.
    Features wrong = f;
    wrong.audio = f.audio.to(torch::kDouble);
    EXPECT_NE(test::error_of([&] { split->classify(wrong); }).find("classify("), std::string::npos);
  }
  const auto expect = [&](const std::string& name, const std::string& source, const std::string& what,
                          bool from_avr = false) {
    torch::jit::Module m("m");
    m.define(source);
    m.register_attribute("image_size", c10::IntType::get(), kImage);
    m.register_attribute("audio_length", c10::IntType::get(), kAudio);
    if (from_avr) m.register_attribute("avr_config", c10::StringType::get(), std::string("{\"kind\": \"av\"}"));
    const auto path = dir / (name + ".ts");
    m.save(path.string());
    const std::string e = load_error(path, 2);
    EXPECT_NE(e.find(what), std::string::npos) << name << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << name << ": " << e;
  };
  expect("no_classify", forward + encode,
         "no_classify.ts has encode but no classify method: ExFMem and the embeddings need both");
  expect("no_encode", forward + classify, "no_encode.ts has classify but no encode method");
  expect("old_export", forward + classify, "a file from an older `avr export`: export the checkpoint again",
         true);
  expect("encode_one_arg", forward + classify +
         "def encode(self, x) -> Tuple[Tensor, Tensor]:\n    return x, x\n",
         ": encode(x: Tensor) does not take two tensors; the optional pair is encode(audio [B,1,L]");
  expect("encode_tensor", forward + classify + "def encode(self, audio, frames):\n    return audio\n",
         "encode returned Tensor, expected a tuple (f_a, f_v)");
  expect("encode_batch", forward + classify +
         "def encode(self, audio, frames) -> Tuple[Tensor, Tensor]:\n"
         "    return audio.mean([1]), frames.mean([1]).flatten(1)[:1]\n",
         "encode returned f_v [1, 1024] for a batch of 2, expected [2, feature dim]");
  expect("encode_nan", forward + classify +
         "def encode(self, audio, frames) -> Tuple[Tensor, Tensor]:\n"
         "    return audio.mean([1]) / 0.0, frames.mean([1]).flatten(1)\n",
         "encode returned f_a with NaN or infinite values");
  expect("classify_count", forward + encode +
         "def classify(self, f_a, f_v):\n    return torch.stack([f_a.mean([1]), f_v.mean([1]), f_v.mean([1])], 1)\n",
         "classify gives 3 logits, forward 2");
  expect("classify_tuple", forward + encode +
         "def classify(self, f_a, f_v) -> Tuple[Tensor, Tensor]:\n    return f_a, f_v\n",
         "classify returned Tuple, expected a tensor of logits");
  // Logits of the right shape that are not forward's: the probe's difference, named.
  expect("classify_other", forward + encode +
         "def classify(self, f_a, f_v):\n    return torch.stack([f_a.mean([1]), f_v.mean([1])], 1)\n",
         "classify(encode(x)) differs from forward(x)'s logits by up to 0.5 on the probe (zeros, batch 2)");
}

// A small ExFMem over banks of `k` features [k, d] per modality (columns of M).
std::shared_ptr<const ExFMem> exfmem_over(const torch::Tensor& fa, const torch::Tensor& fv) {
  return std::make_shared<const ExFMem>(
      MemoryBank("audio", fa.t().contiguous(), torch::arange(fa.size(0), torch::kInt64)),
      MemoryBank("visual", fv.t().contiguous(), torch::arange(fv.size(0), torch::kInt64)),
      ExFMemSettings{});
}

// ExFMem through encode/classify of the exported module gives the native model's defended
// logits, attack objectives (every adaptive gradient, every threat) and input gradients.
TEST(ScriptedModel, ExFMemOnTheExportedModuleEqualsTheNativeModel) {
  test::TempDir dir;
  AvModel native = randomized(config("av", "concat"));
  export_torchscript(native, {}, dir / "m.ts");
  torch::manual_seed(4);
  Features bank;
  {
    torch::NoGradGuard ng;
    bank = native->encode(torch::rand({12, kAudio}) * 2 - 1, torch::rand({12, 3, kImage, kImage}));
  }
  DefendedModel want, got;
  want.model = native;
  want.exfmem = got.exfmem = exfmem_over(bank.audio, bank.visual);
  got.forward_model = std::make_shared<ScriptedModel>(dir / "m.ts", torch::kCPU);
  const auto audio = torch::rand({3, kAudio}) * 2 - 1, frames = torch::rand({3, 3, kImage, kImage});
  const auto labels = torch::tensor({0, 1, 2}, torch::kInt64);
  const auto adv_audio = (audio + 0.02 * torch::randn_like(audio)).clamp(-1, 1);
  const auto adv_frames = (frames + 0.02 * torch::randn_like(frames)).clamp(0, 1);

  torch::NoGradGuard outer;
  const auto clean_want = want.defend_clean(audio, frames), clean_got = got.defend_clean(audio, frames);
  EXPECT_TRUE(torch::allclose(got.logits(clean_got), want.logits(clean_want), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(got.logits(audio, frames), want.logits(audio, frames), 1e-4, 1e-4));
  // Through ExFMem the defended features differ from the undefended ones: the test sees it.
  EXPECT_FALSE(torch::allclose(want.logits(clean_want), native->forward(audio, frames), 1e-3, 1e-3));
  using Pair = std::pair<torch::Tensor, torch::Tensor>;
  for (const auto& [a, v] : std::vector<Pair>{{adv_audio, frames}, {audio, adv_frames}, {adv_audio, adv_frames}}) {
    // The clean tensors themselves where a modality is not attacked, as the attacks pass them.
    const auto& pa = a.equal(audio) ? audio : a;
    const auto& pv = v.equal(frames) ? frames : v;
    EXPECT_TRUE(torch::allclose(got.logits(clean_got, pa, pv), want.logits(clean_want, pa, pv), 1e-4, 1e-4));
    for (const ThroughDefense through :
         {ThroughDefense{}, ThroughDefense{ExFMemGradient::kBpda}, ThroughDefense{ExFMemGradient::kImplicit},
          ThroughDefense{ExFMemGradient::kUnrolled}}) {
      torch::AutoGradMode grad(true);
      const auto wa = pa.is_same(audio) ? audio : pa.detach().requires_grad_();
      const auto wv = pv.is_same(frames) ? frames : pv.detach().requires_grad_();
      const auto ga = pa.is_same(audio) ? audio : pa.detach().requires_grad_();
      const auto gv = pv.is_same(frames) ? frames : pv.detach().requires_grad_();
      const auto w = batch_objective(want, clean_want, through)(wa, wv, labels);
      const auto g = batch_objective(got, clean_got, through)(ga, gv, labels);
      const std::string what = to_string(through) + (pa.is_same(audio) ? " ✗V" : pv.is_same(frames) ? " ✗A" : " ✗AV");
      EXPECT_TRUE(torch::allclose(g.logits, w.logits, 1e-4, 1e-4))
          << what << ": max |Δ| " << (g.logits - w.logits).abs().max().item<float>();
      EXPECT_TRUE(torch::allclose(g.loss, w.loss, 1e-4, 1e-4)) << what;
      std::vector<torch::Tensor> wi, gi;
      if (!pa.is_same(audio)) wi.push_back(wa), gi.push_back(ga);
      if (!pv.is_same(frames)) wi.push_back(wv), gi.push_back(gv);
      const auto dw = torch::autograd::grad({w.loss.sum()}, wi);
      const auto dg = torch::autograd::grad({g.loss.sum()}, gi);
      for (size_t i = 0; i < dw.size(); ++i)
        EXPECT_TRUE(torch::allclose(dg[i], dw[i], 1e-3, 1e-6))
            << what << ": input gradient max |Δ| " << (dg[i] - dw[i]).abs().max().item<float>();
    }
  }
}

// A module that encodes both branches at once, whose f_v depends on the audio too (as the
// localizer's): through ExFMem, the defended clean f_v is reused only where nothing under
// attack reaches f_v, so an audio attack's gradient keeps the path through f_v — also at a
// step where the audio still equals the clean audio.
TEST(ScriptedModel, AFeatureThatTheAttackReachesIsNeverTakenAsClean) {
  test::TempDir dir;
  torch::manual_seed(5);
  torch::jit::Module mod("m");
  mod.register_buffer("wa", torch::randn({kAudio, 6}) * 0.05);
  mod.register_buffer("wv", torch::randn({3 * kImage * kImage, 6}) * 0.05);
  mod.register_buffer("wc", torch::randn({12, 3}));
  mod.define(
      "def encode(self, audio, frames) -> Tuple[Tensor, Tensor]:\n"
      "    f_a = torch.tanh(torch.mm(audio.flatten(1), self.wa))\n"
      "    return f_a, torch.tanh(torch.mm(frames.flatten(1), self.wv) + f_a)\n"
      "def classify(self, f_a, f_v):\n"
      "    return torch.mm(torch.cat([f_a, f_v], 1), self.wc)\n"
      "def forward(self, audio, frames):\n"
      "    f_a, f_v = self.encode(audio, frames)\n"
      "    return self.classify(f_a, f_v)\n");
  mod.register_attribute("image_size", c10::IntType::get(), kImage);
  mod.register_attribute("audio_length", c10::IntType::get(), kAudio);
  mod.save((dir / "coupled.ts").string());
  DefendedModel m;
  m.forward_model = std::make_shared<ScriptedModel>(dir / "coupled.ts", torch::kCPU);
  const auto net = m.feature_model();
  ASSERT_TRUE(net);
  const auto audio = torch::rand({2, kAudio}) * 2 - 1, frames = torch::rand({2, 3, kImage, kImage});
  const auto labels = torch::tensor({0, 2}, torch::kInt64);
  {
    torch::NoGradGuard ng;
    const Features b = net->encode(torch::rand({10, kAudio}) * 2 - 1, torch::rand({10, 3, kImage, kImage}));
    m.exfmem = exfmem_over(b.audio, b.visual);
  }
  const auto clean = m.defend_clean(audio, frames);
  for (const auto& start : {audio, (audio + 0.05).clamp(-1, 1)}) {
    const auto x = start.detach().requires_grad_();
    const auto got = batch_objective(m, clean, ExFMemGradient::kBpda)(x, frames, labels);
    const auto dg = torch::autograd::grad({got.loss.sum()}, {x})[0];
    // Nothing reused: the defended forward of (x, frames) from scratch.
    const auto y = start.detach().requires_grad_();
    const auto logits = net->classify(m.defend(net->encode(y, frames), ExFMemGradient::kBpda));
    const auto want = torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    const auto dw = torch::autograd::grad({want.sum()}, {y})[0];
    EXPECT_TRUE(torch::allclose(got.loss, want, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(dg, dw, 1e-3, 1e-7)) << "max |Δ| " << (dg - dw).abs().max().item<float>();
  }
}

// The memory banks and the embeddings (clean, attacked, defended) through the exported
// module's encode equal the native model's.
TEST(ScriptedModel, BanksAndEmbeddingsOfTheExportedModuleEqualTheNativeOnes) {
  test::TempDir dir;
  const auto spec = test::write_tiny_dataset(dir, 3);
  ModelConfig c = config("av", "concat");
  c.num_classes = 2;
  AvModel native = randomized(c);
  export_torchscript(native, {}, dir / "m.ts");
  DefendedModel want, got;
  want.model = native;
  got.forward_model = std::make_shared<ScriptedModel>(dir / "m.ts", torch::kCPU);
  ClipSettings clip;
  clip.image_size = kImage;
  clip.audio_length = kAudio;
  const AvDataset train(spec, "train", dataset_classes(spec)), test_split(spec, "test", dataset_classes(spec));
  const auto [na, nv] = build_memory_banks(native, train, clip, {}, torch::kCPU);
  const auto [sa, sv] = build_memory_banks(*got.feature_model(), train, clip, {}, torch::kCPU);
  EXPECT_EQ(sa.matrix().sizes(), na.matrix().sizes());
  EXPECT_TRUE(torch::allclose(sa.matrix(), na.matrix(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(sv.matrix(), nv.matrix(), 1e-4, 1e-5));
  want.exfmem = got.exfmem = std::make_shared<const ExFMem>(na, nv, ExFMemSettings{});

  EmbeddingSettings s;
  s.attack = "pgd";
  s.attack_settings = {{"steps", 3}};
  s.budget.eps_single = 0.05;
  s.defended_features = true;
  s.through_defense = ExFMemGradient::kBpda;
  const auto e = collect_embeddings(want, test_split, clip, s, torch::kCPU);
  const auto f = collect_embeddings(got, test_split, clip, s, torch::kCPU);
  ASSERT_EQ(f.size(), 6);
  EXPECT_TRUE(torch::equal(f.labels, e.labels));
  using Pair = std::pair<torch::Tensor, torch::Tensor>;
  for (const auto& [x, y] : std::vector<Pair>{{f.audio, e.audio}, {f.visual, e.visual},
                                              {f.attacked_audio, e.attacked_audio},
                                              {f.attacked_visual, e.attacked_visual}})
    EXPECT_TRUE(torch::allclose(x, y, 1e-3, 1e-4)) << "max |Δ| " << (x - y).abs().max().item<float>();
  const double moved_a = (e.attacked_audio - e.audio).abs().max().item<double>();
  const double moved_v = (e.attacked_visual - e.visual).abs().max().item<double>();
  EXPECT_GT(std::max(moved_a, moved_v), 1e-2) << "the attacks moved nothing: " << moved_a << " " << moved_v;
  // Forward only: the embeddings say what is missing.
  DefendedModel opaque;
  opaque.forward_model = std::make_shared<OnlyForward>(got.forward_model);
  EXPECT_NE(test::error_of([&] { collect_embeddings(opaque, test_split, clip, s, torch::kCPU); })
                .find("gives no features of its own (forward only); give the TorchScript module encode("),
            std::string::npos);
}

}  // namespace
}  // namespace avr
