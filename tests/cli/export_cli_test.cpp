// Bring your own model, end to end: `avr export` writes an avr checkpoint as TorchScript,
// `avr attack/eval --model` on it give the native model's numbers (accuracy and per-clip
// results of the same attacks on the same clips, with and without ExFMem), PyTorch loads
// and runs the file (forward, encode, classify), and a model scripted in PyTorch is
// attacked; what an opaque model cannot do are clear errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "avr/core/fs.h"
#include "avr/defenses/memory_bank.h"
#include "avr/models/checkpoint.h"
#include "test_support.h"

namespace avr {
namespace {

nlohmann::json result(const std::filesystem::path& out) {
  return nlohmann::json::parse(read_text_file(out / "robustness.json"));
}

// Whether Debian's python3-torch loads: the PyTorch these tests check avr's TorchScript with.
bool pytorch_loads() {
  return test::run_shell("/usr/bin/python3 -c 'import torch' 2>/dev/null").exit_code == 0;
}

// An untrained concat model on 8 small clips (dir/data, dir/av.pt), its batch norm statistics
// away from their defaults so that an export that lost them shows, exported to dir/av.ts.
struct ExportedConcat {
  SynthProfile profile;
  AvModel native;
  test::CommandResult exported;  // what `avr export` printed
};

ExportedConcat export_untrained_concat(const test::TempDir& dir) {
  const SynthProfile profile = test::generate_small_dataset(dir / "data", 8);
  AvModel native = test::save_untrained_concat(dir / "av.pt", profile, 3);
  auto r = test::run_avr("export --checkpoint " + (dir / "av.pt").string() + " --out " +
                         (dir / "av.ts").string());
  return {profile, native, r};
}

TEST(Cli, ExportedModelGivesTheNativeNumbersAndPytorchRunsIt) {
  ASSERT_TRUE(pytorch_loads()) << "needs python3-torch to load the exported module in PyTorch: `make deps` installs it";
  test::TempDir dir;
  auto [profile, native, r] = export_untrained_concat(dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("→ (logits, f_a, f_v)"), std::string::npos) << r.output;

  // Same clips, same attacks: the same accuracies and the same clips fooled.
  const std::string common = "attack --threads 2 --data-root " + (dir / "data").string() +
                             " --attack fgsm,pgd,mim,apgd --eps 0.02 --eps-both 0.01";
  r = test::run_avr(common + " --checkpoint " + (dir / "av.pt").string() + " --out " + (dir / "native").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_avr(common + " --model " + (dir / "av.ts").string() + " --out " + (dir / "ts").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Accuracy (%) of TorchScript av.ts"), std::string::npos) << r.output;
  const auto jn = result(dir / "native"), jt = result(dir / "ts");
  EXPECT_EQ(jt.at("torchscript"), (dir / "av.ts").string());
  const auto& rn = jn.at("result");
  const auto& rt = jt.at("result");
  EXPECT_EQ(rt.at("clips"), 8);
  EXPECT_EQ(rt.at("clean_accuracy"), rn.at("clean_accuracy"));
  EXPECT_EQ(rt.at("clean_correct_clips"), rn.at("clean_correct_clips"));
  ASSERT_EQ(rt.at("attacks").size(), 4u);
  int fooled = 0;
  for (size_t i = 0; i < 4; ++i) {
    const auto& a = rn.at("attacks")[i];
    const auto& b = rt.at("attacks")[i];
    EXPECT_EQ(b.at("attack"), a.at("attack"));
    EXPECT_EQ(b.at("accuracy"), a.at("accuracy")) << a.at("attack");
    EXPECT_EQ(b.at("robust_clips"), a.at("robust_clips")) << a.at("attack");
    for (const auto& [mod, bits] : b.at("robust_clips").items())
      for (size_t c = 0; c < 8; ++c)
        fooled += rt.at("clean_correct_clips").get<std::string>()[c] == '1' && bits.get<std::string>()[c] == '0';
  }
  EXPECT_GT(fooled, 0) << "no clip changed its prediction: the comparison shows nothing";
  EXPECT_EQ(jt.at("worst_case").at("accuracy"), jn.at("worst_case").at("accuracy"));

  // avr eval gives the same clean accuracy on both.
  const std::string eval = "eval --threads 2 --data-root " + (dir / "data").string();
  const auto en = test::run_avr(eval + " --checkpoint " + (dir / "av.pt").string());
  const auto et = test::run_avr(eval + " --model " + (dir / "av.ts").string());
  ASSERT_EQ(en.exit_code, 0) << en.output;
  ASSERT_EQ(et.exit_code, 0) << et.output;
  EXPECT_EQ(et.output.substr(et.output.find("accuracy ")), en.output.substr(en.output.find("accuracy ")));

  // PyTorch loads the file and computes avr's logits on one clip.
  const int64_t s = profile.image_size, l = profile.audio_length;
  r = test::run_shell(
      "/usr/bin/python3 -W ignore -c \"import sys, torch; m = torch.jit.load(sys.argv[1]); "
      "a = 0.5 * torch.sin(torch.arange(" + std::to_string(l) + ".0) * 0.05).reshape(1, 1, -1); "
      "x = torch.linspace(0, 1, 3 * " + std::to_string(s * s) + ").reshape(1, 3, " + std::to_string(s) +
      ", " + std::to_string(s) + "); logits, fa, fv = m(a, x); "
      "print(m.image_size, m.audio_length, ','.join(m.classes), tuple(fa.shape), "
      "' '.join('%.9g' % v for v in logits[0].tolist()))\" " + (dir / "av.ts").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  int64_t ps = 0, pl = 0;
  std::string classes, shape1, shape2;
  in >> ps >> pl >> classes >> shape1 >> shape2;
  EXPECT_EQ(ps, s);
  EXPECT_EQ(pl, l);
  EXPECT_EQ(shape1 + shape2, "(1,512)");
  std::string want;
  for (const auto& c : profile.classes) want += (want.empty() ? "" : ",") + c;
  EXPECT_EQ(classes, want);
  torch::NoGradGuard ng;
  native->eval();
  const auto a = (0.5 * torch::sin(torch::arange(l, torch::kFloat) * 0.05)).reshape({1, -1});
  const auto x = torch::linspace(0, 1, 3 * s * s).reshape({1, 3, s, s});
  const auto logits = native->forward(a, x);
  for (int64_t c = 0; c < 4; ++c) {
    double v = 0;
    ASSERT_TRUE(in >> v) << r.output;
    EXPECT_NEAR(v, logits[0][c].item<double>(), 1e-4 * (1 + std::abs(v))) << "class " << c;
  }
}

// Accuracy and per-clip results of every attack, and the worst case, are the same in both.
// Returns how many clean-correct clips some attack fooled.
int expect_same_results(const nlohmann::json& jn, const nlohmann::json& jt, size_t attacks, size_t clips) {
  const auto& rn = jn.at("result");
  const auto& rt = jt.at("result");
  EXPECT_EQ(rt.at("clips"), clips);
  EXPECT_EQ(rt.at("clean_accuracy"), rn.at("clean_accuracy"));
  EXPECT_EQ(rt.at("clean_correct_clips"), rn.at("clean_correct_clips"));
  EXPECT_EQ(rt.at("attacks").size(), attacks);
  int fooled = 0;
  for (size_t i = 0; i < std::min(attacks, rt.at("attacks").size()); ++i) {
    const auto& a = rn.at("attacks")[i];
    const auto& b = rt.at("attacks")[i];
    EXPECT_EQ(b.at("attack"), a.at("attack"));
    EXPECT_EQ(b.at("accuracy"), a.at("accuracy")) << a.at("attack");
    EXPECT_EQ(b.at("robust_clips"), a.at("robust_clips")) << a.at("attack");
    for (const auto& [mod, bits] : b.at("robust_clips").items())
      for (size_t c = 0; c < clips; ++c)
        fooled += rt.at("clean_correct_clips").get<std::string>()[c] == '1' && bits.get<std::string>()[c] == '0';
  }
  if (attacks > 1) EXPECT_EQ(jt.at("worst_case").at("accuracy"), jn.at("worst_case").at("accuracy"));
  return fooled;
}

// ExFMem on the exported module (banks built with its encode, the defended forward through
// its classify) gives the native checkpoint's numbers, for the paper's attacker and an
// adaptive one; PyTorch runs the module's encode and classify.
TEST(Cli, ExFMemOnTheExportedModelGivesTheNativeNumbers) {
  ASSERT_TRUE(pytorch_loads()) << "needs python3-torch to run the exported module in PyTorch: `make deps` installs it";
  test::TempDir dir;
  auto [profile, native, r] = export_untrained_concat(dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("encode(audio, frames) → (f_a, f_v), classify(f_a, f_v) → logits"),
            std::string::npos) << r.output;

  const std::string common = "attack --threads 2 --data-root " + (dir / "data").string() +
                             " --exfmem --eps 0.02 --eps-both 0.01";
  int fooled = 0;
  for (const std::string& run : {std::string(" --attack fgsm,pgd"), std::string(" --attack pgd --adaptive bpda")}) {
    const std::string tag = run.find("bpda") == std::string::npos ? "paper" : "bpda";
    r = test::run_avr(common + run + " --checkpoint " + (dir / "av.pt").string() + " --out " +
                      (dir / ("native-" + tag)).string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = test::run_avr(common + run + " --model " + (dir / "av.ts").string() + " --out " +
                      (dir / ("ts-" + tag)).string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Accuracy (%) of TorchScript av.ts"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("ExFMem defense"), std::string::npos) << r.output;
    const auto jn = result(dir / ("native-" + tag)), jt = result(dir / ("ts-" + tag));
    EXPECT_EQ(jt.at("defense"), "exfmem");
    fooled += expect_same_results(jn, jt, tag == "paper" ? 2 : 1, 8);
  }
  EXPECT_GT(fooled, 0) << "no clip changed its prediction: the comparison shows nothing";
  // The module's banks live next to it, as a checkpoint's do.
  EXPECT_TRUE(std::filesystem::exists(dir / "av.bank-audio-first-k1024.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "av.bank-visual-first-k1024.pt"));

  // PyTorch: encode gives the features forward returns, classify maps them (and other
  // features, as ExFMem's reconstructions) to avr's logits.
  const int64_t s = profile.image_size, l = profile.audio_length;
  r = test::run_shell(
      "/usr/bin/python3 -W ignore -c \"import sys, torch; m = torch.jit.load(sys.argv[1]); "
      "a = 0.5 * torch.sin(torch.arange(" + std::to_string(l) + ".0) * 0.05).reshape(1, 1, -1); "
      "x = torch.linspace(0, 1, 3 * " + std::to_string(s * s) + ").reshape(1, 3, " + std::to_string(s) +
      ", " + std::to_string(s) + "); fa, fv = m.encode(a, x); logits, ga, gv = m(a, x); "
      "print(tuple(fa.shape), tuple(fv.shape), float((fa - ga).abs().max()), float((fv - gv).abs().max()), "
      "float((m.classify(fa, fv) - logits).abs().max()), "
      "' '.join('%.9g' % v for v in m.classify(0.5 * fa, fv)[0].tolist()))\" " + (dir / "av.ts").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  std::string sa1, sa2, sv1, sv2;
  double da = 1, dv = 1, dl = 1;
  in >> sa1 >> sa2 >> sv1 >> sv2 >> da >> dv >> dl;
  EXPECT_EQ(sa1 + sa2, "(1,512)") << r.output;
  EXPECT_EQ(sv1 + sv2, "(1,512)") << r.output;
  EXPECT_EQ(da, 0) << r.output;
  EXPECT_EQ(dv, 0) << r.output;
  EXPECT_EQ(dl, 0) << r.output;
  torch::NoGradGuard ng;
  native->eval();
  const auto a = (0.5 * torch::sin(torch::arange(l, torch::kFloat) * 0.05)).reshape({1, -1});
  const auto x = torch::linspace(0, 1, 3 * s * s).reshape({1, 3, s, s});
  Features f = native->encode(a, x);
  f.audio = 0.5 * f.audio;
  const auto logits = native->classify(f);
  for (int64_t c = 0; c < 4; ++c) {
    double v = 0;
    ASSERT_TRUE(in >> v) << r.output;
    EXPECT_NEAR(v, logits[0][c].item<double>(), 1e-4 * (1 + std::abs(v))) << "class " << c;
  }
}

// A model scripted in PyTorch with encode and classify, as docs/own_models.md shows, defended
// by ExFMem and attacked through it (its own feature sizes, 8 and 6, in the banks).
TEST(Cli, ExFMemDefendsAModelScriptedInPytorch) {
  ASSERT_TRUE(pytorch_loads()) << "needs python3-torch to write a TorchScript model: `make deps` installs it";
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data", 4);
  const std::string s = std::to_string(profile.image_size), l = std::to_string(profile.audio_length);
  std::string classes;
  for (const auto& c : profile.classes) classes += (classes.empty() ? "'" : ", '") + c + "'";
  write_file_atomic(dir / "own.py",
                  "import sys, torch\n"
                  "from typing import List, Tuple\n"
                  "class Net(torch.nn.Module):\n"
                  "    def __init__(self, classes: List[str]):\n"
                  "        super().__init__()\n"
                  "        self.a = torch.nn.Conv1d(1, 8, 64, 16)\n"
                  "        self.v = torch.nn.Conv2d(3, 6, 5, 2)\n"
                  "        self.fc = torch.nn.Linear(14, len(classes))\n"
                  "        self.classes = classes\n"
                  "        self.image_size = " + s + "\n"
                  "        self.audio_length = " + l + "\n"
                  "    @torch.jit.export\n"
                  "    def encode(self, audio, frames) -> Tuple[torch.Tensor, torch.Tensor]:\n"
                  "        return self.a(audio).amax(2), self.v(frames).amax((2, 3))\n"
                  "    @torch.jit.export\n"
                  "    def classify(self, f_a, f_v):\n"
                  "        return self.fc(torch.cat([f_v, f_a], 1))\n"
                  "    def forward(self, audio, frames):\n"
                  "        f_a, f_v = self.encode(audio, frames)\n"
                  "        return self.classify(f_a, f_v)\n"
                  "torch.manual_seed(0)\n"
                  "torch.jit.script(Net([" + classes + "]).eval()).save(sys.argv[1])\n");
  auto r = test::run_shell("cd " + dir.path().string() + " && /usr/bin/python3 -W ignore own.py " +
                           (dir / "own.ts").string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_avr("attack --threads 2 --data-root " + (dir / "data").string() + " --model " +
                    (dir / "own.ts").string() + " --exfmem --adaptive implicit --attack pgd --modality a,v --out " +
                    (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = result(dir / "out");
  EXPECT_EQ(j.at("defense"), "exfmem");
  EXPECT_EQ(j.at("result").at("attacks")[0].at("accuracy").size(), 2u) << j;  // ✗A, ✗V
  EXPECT_EQ(MemoryBank::load(dir / "own.bank-audio-first-k1024.pt").dim(), 8);
  EXPECT_EQ(MemoryBank::load(dir / "own.bank-visual-first-k1024.pt").dim(), 6);
}

// A model written and traced in PyTorch, attacked by avr; and what an opaque model
// cannot do: feature losses without the tuple form, ExFMem, localization.
TEST(Cli, AttacksAModelTracedInPytorch) {
  ASSERT_TRUE(pytorch_loads()) << "needs python3-torch to write a TorchScript model: `make deps` installs it";
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data", 4);
  const std::string s = std::to_string(profile.image_size), l = std::to_string(profile.audio_length);
  auto r = test::run_shell(
      "/usr/bin/python3 -W ignore -c \"\n"
      "import sys, torch\n"
      "class Net(torch.nn.Module):\n"
      "    def __init__(self):\n"
      "        super().__init__()\n"
      "        self.a = torch.nn.Conv1d(1, 8, 64, 16)\n"
      "        self.v = torch.nn.Conv2d(3, 8, 5, 2)\n"
      "        self.fc = torch.nn.Linear(16, 4)\n"
      "    def forward(self, audio, frames):\n"
      "        return self.fc(torch.cat([self.a(audio).amax(2), self.v(frames).amax((2, 3))], 1))\n"
      "torch.manual_seed(0)\n"
      "torch.jit.trace(Net().eval(), (torch.zeros(2, 1, " + l + "), torch.zeros(2, 3, " + s + ", " + s +
      "))).save(sys.argv[1])\n\" " + (dir / "user.ts").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string common = "attack --threads 2 --data-root " + (dir / "data").string() + " --model " +
                             (dir / "user.ts").string() + " --image-size " + s + " --audio-length " + l;
  r = test::run_avr(common + " --attack pgd,apgd-t --out " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = result(dir / "out");
  for (const auto& row : j.at("result").at("attacks"))
    EXPECT_EQ(row.at("accuracy").size(), 3u) << row;  // ✗A, ✗V, ✗AV
  EXPECT_TRUE(j.contains("worst_case"));

  r = test::run_avr(common + " --loss minsim --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("returns logits only: return (logits, f_a, f_v)"), std::string::npos) << r.output;
  r = test::run_avr(common + " --exfmem --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--exfmem needs the model split at its features: " + (dir / "user.ts").string() +
                          " has no encode and classify methods"),
            std::string::npos)
      << r.output;
  r = test::run_avr(common.substr(0, common.find(" --model")) + " --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("give --checkpoint (an avr model) or --model"), std::string::npos) << r.output;
  // Without the sizes the module does not record, the error names the flags.
  r = test::run_avr("eval --data-root " + (dir / "data").string() + " --model " + (dir / "user.ts").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--image-size and --audio-length"), std::string::npos) << r.output;
  r = test::run_avr("localize --data-root " + (dir / "data").string() + " --model " +
                    (dir / "user.ts").string() + " --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no map"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace avr
