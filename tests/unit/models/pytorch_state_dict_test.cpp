#include "avr/models/pytorch_state_dict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "avr/core/error.h"
#include "avr/models/checkpoint.h"
#include "test_support.h"

namespace avr {
namespace {

bool python_torchvision_available() {
  static const bool ok =
      test::run_shell("/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null").exit_code == 0;
  return ok;
}

// PyTorch writes a torchvision resnet18 state_dict with non-trivial BN
// statistics, and the features (global max pool of layer4) of one frame.
const char* kMakeResnet = R"PY(
import sys, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18(num_classes=1000)
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
        mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.1, 0.1)
m.eval()
torch.save(m.state_dict(), sys.argv[1])
x = torch.linspace(0, 1, 3 * 64 * 64).reshape(1, 3, 64, 64)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
body = torch.nn.Sequential(*list(m.children())[:-2])
with torch.no_grad():
    f = torch.amax(body((x - mean) / std), dim=(2, 3))[0]
open(sys.argv[2], "w").write(" ".join("%.9g" % v for v in f.tolist()))
)PY";

TEST(PytorchStateDict, ImportsTorchvisionResnet18AndMatchesPytorchFeatures) {
  ASSERT_TRUE(python_torchvision_available())
      << "needs PyTorch to write the test file: `make deps` installs python3-torchvision";
  test::TempDir dir;
  std::ofstream(dir / "make.py") << kMakeResnet;
  const auto r = test::run_shell("/usr/bin/python3 " + (dir / "make.py").string() + " " +
                                 (dir / "r18.pth").string() + " " + (dir / "f.txt").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const auto entries = read_pytorch_state_dict(dir / "r18.pth");
  EXPECT_EQ(entries.size(), 122u);  // 62 parameters + 60 BN buffers
  EXPECT_EQ(entries.front().first, "conv1.weight");  // file order kept
  EXPECT_EQ(entries.back().first, "fc.bias");

  VisualNet net;
  import_torchvision_resnet18(net, dir / "r18.pth");
  net->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::linspace(0, 1, 3 * 64 * 64).view({1, 3, 64, 64});
  auto ours = net->forward(x)[0];
  std::ifstream in(dir / "f.txt");
  std::vector<float> ref;
  for (float v; in >> v;) ref.push_back(v);
  ASSERT_EQ(ref.size(), 512u);
  auto theirs = torch::tensor(ref);
  EXPECT_TRUE(torch::allclose(ours, theirs, 1e-4, 1e-4)) << (ours - theirs).abs().max();
}

TEST(PytorchStateDict, ClearErrorsForFilesThatAreNotStateDicts) {
  test::TempDir dir;
  auto message = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message([&] { read_pytorch_state_dict(dir / "none.pth"); }).find("not found"),
            std::string::npos);
  std::ofstream(dir / "junk.pth") << "not a zip";
  const auto m = message([&] { read_pytorch_state_dict(dir / "junk.pth"); });
  EXPECT_NE(m.find("not a PyTorch zip archive"), std::string::npos) << m;
  EXPECT_NE(m.find("junk.pth"), std::string::npos) << m;
  // An avr checkpoint is a zip too, but its pickle holds more than a state_dict.
  ModelConfig c;
  c.kind = ModelKind::Audio;
  c.fusion = FusionKind::None;
  c.num_classes = 2;
  c.audio_length = 4096;
  save_checkpoint(dir / "ours.avrm", AvModel(c));
  const auto m2 = message([&] { read_pytorch_state_dict(dir / "ours.avrm"); });
  EXPECT_EQ(m2.rfind("cannot read PyTorch state_dict", 0), 0u) << m2;
  EXPECT_NE(m2.find("ours.avrm"), std::string::npos) << m2;
  // …but its state_dict would import into the wrong network with a clear message.
  VisualNet net;
  const auto m3 = message([&] { import_torchvision_resnet18(net, dir / "ours.avrm"); });
  EXPECT_NE(m3.find("ours.avrm"), std::string::npos) << m3;
}

// A dict that contains itself (pickle memo: BINGET of the dict, then SETITEM) made
// the flattening recurse until the stack overflowed (and its shared_ptrs leak).
TEST(PytorchStateDict, DictThatContainsItselfIsAnErrorNamingTheFile) {
  ASSERT_EQ(test::run_shell("/usr/bin/python3 -c 'import torch' 2>/dev/null").exit_code, 0)
      << "needs python3-torch to write the test file: `make deps` installs it";
  test::TempDir dir;
  const auto r = test::run_shell(
      "/usr/bin/python3 -c \"import sys, torch; d = {'w': torch.ones(2)}; d['self'] = d; "
      "torch.save(d, sys.argv[1])\" " + (dir / "loop.pth").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string msg = test::error_of([&] { read_pytorch_state_dict(dir / "loop.pth"); });
  EXPECT_NE(msg.find("loop.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nest more than 32 deep"), std::string::npos) << msg;
}

// A storage whose pickled element count disagrees with its data is refused before
// anything is allocated: 2^31-1 floats would have been an 8 GB torch::empty.
TEST(PytorchStateDict, StorageSizeThatDisagreesWithItsDataIsAnErrorNamingTheFile) {
  ASSERT_EQ(test::run_shell("/usr/bin/python3 -c 'import torch' 2>/dev/null").exit_code, 0)
      << "needs python3-torch to write the test file: `make deps` installs it";
  test::TempDir dir;
  const auto r = test::run_shell(
      "/usr/bin/python3 -c \"import sys, io, zipfile, torch\n"
      "torch.save({'w': torch.ones(3)}, sys.argv[1])\n"
      "z = zipfile.ZipFile(sys.argv[1]); items = [(n, z.read(n)) for n in z.namelist()]; z.close()\n"
      "out = zipfile.ZipFile(sys.argv[1], 'w')\n"
      "for n, b in items:\n"
      "    if n.endswith('/data.pkl'):\n"
      "        assert b.count(b'K\\x03t') == 1\n"  // the storage's numel, then TUPLE
      "        b = b.replace(b'K\\x03t', b'J\\xff\\xff\\xff\\x7ft')\n"
      "    out.writestr(n, b)\n"
      "out.close()\" " + (dir / "big.pth").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string msg = test::error_of([&] { read_pytorch_state_dict(dir / "big.pth"); });
  EXPECT_NE(msg.find("big.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 12 bytes, but the pickle says 2147483647 elements"), std::string::npos) << msg;
}

}  // namespace
}  // namespace avr
