// ExFMem's memory banks carry the identity of the weights and training rows they
// were built from; a saved bank of other weights is rebuilt, never reused.
#include "avr/eval/memory_banks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "../data/fixture.h"
#include "avr/models/checkpoint.h"

namespace avr {
namespace {

AvModel tiny_av(uint64_t seed) {
  ModelConfig c;
  c.kind = ModelKind::AudioVisual;
  c.fusion = FusionKind::Concat;
  c.num_classes = 2;
  c.image_size = 32;
  c.audio_length = 4096;
  c.seed = seed;
  AvModel m(c);
  m->eval();
  return m;
}

// Captures what the code under test writes to std::cerr.
class CerrCapture {
 public:
  CerrCapture() : old_(std::cerr.rdbuf(buf_.rdbuf())) {}
  ~CerrCapture() { std::cerr.rdbuf(old_); }
  std::string text() const { return buf_.str(); }

 private:
  std::ostringstream buf_;
  std::streambuf* old_;
};

// Fixed fault: banks were keyed by the checkpoint's path only, so writing another
// model's weights over best.pt (as `avr train --resume` does) left ExFMem using
// features of the old weights.
// A tiny dataset, the input and bank settings, and where the checkpoint goes.
struct BankSetup {
  test::TempDir dir;
  DatasetSpec spec = test::write_tiny_dataset(dir, 3);
  AvDataset train{spec, "train", dataset_classes(spec)};
  ClipSettings clip = [] {
    ClipSettings c;
    c.image_size = 32;
    c.audio_length = 4096;
    return c;
  }();
  MemoryBankSettings banks = [] {
    MemoryBankSettings b;
    b.columns = 2;
    return b;
  }();
  std::filesystem::path ckpt = dir / "best.pt";
};

TEST(MemoryBanks, BanksOfReplacedWeightsAreRebuiltNotReused) {
  BankSetup setup;
  const auto& [dir, spec, train, clip, banks, ckpt] = setup;
  const torch::Device cpu(torch::kCPU);

  AvModel first = tiny_av(1);
  save_checkpoint(ckpt, first);
  const auto a = load_or_build_exfmem(ckpt, first, train, clip, banks, {}, cpu);
  const auto bank_file = dir / "best.bank-audio-first-k2.pt";
  ASSERT_TRUE(std::filesystem::exists(bank_file));
  EXPECT_EQ(MemoryBank::load(bank_file).provenance(),
            memory_bank_provenance(ckpt, train, clip, banks));
  {
    CerrCapture cerr;
    const auto again = load_or_build_exfmem(ckpt, first, train, clip, banks, {}, cpu);
    EXPECT_TRUE(torch::equal(again->audio_dictionary().memory(), a->audio_dictionary().memory()));
    EXPECT_EQ(cerr.text(), "") << "the same weights reuse their banks silently";
  }

  AvModel second = tiny_av(2);
  save_checkpoint(ckpt, second);
  CerrCapture cerr;
  const auto b = load_or_build_exfmem(ckpt, second, train, clip, banks, {}, cpu);
  EXPECT_NE(cerr.text().find("rebuilding memory bank"), std::string::npos) << cerr.text();
  EXPECT_NE(cerr.text().find("other weights"), std::string::npos) << cerr.text();
  EXPECT_FALSE(torch::allclose(b->audio_dictionary().memory(), a->audio_dictionary().memory()));
  // The rebuilt bank is the second model's own.
  const auto fresh = build_memory_banks(second, train, clip, banks, cpu);
  EXPECT_TRUE(torch::equal(b->audio_dictionary().memory(), fresh.first.matrix()));
  EXPECT_TRUE(torch::equal(b->visual_dictionary().memory(), fresh.second.matrix()));
}

// The same bank is the same file's: first-k banks ignore the seed (the study passes its own,
// avr attack 0; before, each rebuilt the other's bank "from other weights"), and a rebuild
// names what differs.
TEST(MemoryBanks, AFirstKBankIsReusedWhateverTheSeedAndARebuildSaysWhy) {
  BankSetup setup;
  const auto& [dir, spec, train, clip, banks, ckpt] = setup;
  AvModel m = tiny_av(1);
  save_checkpoint(ckpt, m);
  MemoryBankSettings seeded = banks;
  seeded.seed = 7;
  load_or_build_exfmem(ckpt, m, train, clip, seeded, {}, torch::kCPU);
  {
    CerrCapture cerr;
    load_or_build_exfmem(ckpt, m, train, clip, banks, {}, torch::kCPU);
    EXPECT_EQ(cerr.text(), "");
  }
  ClipSettings other_clip = clip;
  other_clip.volume_max = 1.4;  // recorded, though the banks' clips are not augmented
  CerrCapture cerr;
  load_or_build_exfmem(ckpt, m, train, other_clip, banks, {}, torch::kCPU);
  EXPECT_NE(cerr.text().find("built from other clip settings than"), std::string::npos) << cerr.text();
}

TEST(MemoryBanks, ADamagedBankFileIsRebuiltAndSaysSo) {
  BankSetup setup;
  const auto& [dir, spec, train, clip, banks, ckpt] = setup;
  AvModel m = tiny_av(1);
  save_checkpoint(ckpt, m);
  const auto a = load_or_build_exfmem(ckpt, m, train, clip, banks, {}, torch::kCPU);
  std::ofstream(dir / "best.bank-visual-first-k2.pt", std::ios::binary) << "not a bank";
  CerrCapture cerr;
  const auto b = load_or_build_exfmem(ckpt, m, train, clip, banks, {}, torch::kCPU);
  EXPECT_NE(cerr.text().find("best.bank-visual-first-k2.pt"), std::string::npos) << cerr.text();
  EXPECT_TRUE(torch::equal(b->visual_dictionary().memory(), a->visual_dictionary().memory()));
}

}  // namespace
}  // namespace avr
