#include "avr/defenses/memory_bank.h"

#include <gtest/gtest.h>

#include <fstream>

#include "avr/core/error.h"
#include "defenses_fixtures.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST(MemoryBank, FirstKColumnsAreTheFirstTrainingFeatures) {
  const torch::Tensor feats = test::gaussian(1, "f", {5, 3}, torch::kFloat32);
  MemoryBankSettings s;
  s.columns = 3;
  const MemoryBank bank = MemoryBank::from_features("audio", feats, s);
  EXPECT_EQ(bank.dim(), 3);
  EXPECT_EQ(bank.size(), 3);
  EXPECT_TRUE(torch::equal(bank.matrix(), feats.slice(0, 0, 3).t()));
  EXPECT_TRUE(torch::equal(bank.source_rows(), torch::tensor({0, 1, 2}, torch::kInt64)));
  // Fewer features than columns (MUSIC has 312 training clips): all of them, as the original.
  s.columns = 1024;
  EXPECT_EQ(MemoryBank::from_features("audio", feats, s).size(), 5);
  s.columns = 0;
  EXPECT_EQ(MemoryBank::from_features("audio", feats, s).size(), 5);
}

TEST(MemoryBank, RandomColumnsArePairedAcrossModalitiesAndSeeded) {
  const torch::Tensor audio = test::gaussian(2, "a", {50, 4}, torch::kFloat32);
  const torch::Tensor visual = test::gaussian(2, "v", {50, 6}, torch::kFloat32);
  MemoryBankSettings s;
  s.columns = 10;
  s.selection = BankSelection::kRandom;
  s.seed = 7;
  const MemoryBank a = MemoryBank::from_features("audio", audio, s);
  const MemoryBank v = MemoryBank::from_features("visual", visual, s);
  EXPECT_TRUE(torch::equal(a.source_rows(), v.source_rows()));  // M_a[:,j], M_v[:,j]: one video
  EXPECT_TRUE(torch::equal(a.matrix(), audio.index_select(0, a.source_rows()).t()));
  const torch::Tensor rows = a.source_rows();
  EXPECT_TRUE(torch::equal(std::get<0>(rows.sort()), rows));          // sorted
  EXPECT_EQ(std::get<0>(at::_unique(rows)).numel(), 10);              // distinct
  EXPECT_FALSE(torch::equal(rows, torch::arange(10, torch::kInt64)));  // not simply first-k
  s.seed = 8;
  EXPECT_FALSE(torch::equal(MemoryBank::from_features("audio", audio, s).source_rows(), rows));
}

TEST(MemoryBank, SaveLoadRoundTripIsExactAndAtomic) {
  test::TempDir dir;
  const MemoryBank bank =
      MemoryBank::from_features("visual", test::gaussian(3, "f", {7, 5}, torch::kFloat32), {});
  const fs::path path = memory_bank_path(dir / "model.pt", "visual");
  EXPECT_EQ(path, dir / "model.bank-visual.pt");
  bank.save(path);
  const MemoryBank back = MemoryBank::load(path, 5, "visual");
  EXPECT_EQ(back.modality(), "visual");
  EXPECT_TRUE(torch::equal(back.matrix(), bank.matrix()));
  EXPECT_EQ(back.matrix().scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(back.source_rows(), bank.source_rows()));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) (void)e, ++files;
  EXPECT_EQ(files, 1);  // no temporary left behind
}

TEST(MemoryBank, LoadGivesActionableErrors) {
  test::TempDir dir;
  const MemoryBank bank =
      MemoryBank::from_features("audio", test::gaussian(4, "f", {6, 8}, torch::kFloat32), {});
  const fs::path good = dir / "m.bank-audio.pt";
  bank.save(good);

  EXPECT_TRUE(contains(error_of([&] { MemoryBank::load(dir / "absent.pt"); }), "absent.pt"));

  const fs::path garbage = dir / "garbage.pt";
  std::ofstream(garbage) << "not a torch archive";
  const std::string e1 = error_of([&] { MemoryBank::load(garbage); });
  EXPECT_TRUE(contains(e1, "corrupt")) << e1;
  EXPECT_TRUE(contains(e1, "garbage.pt")) << e1;

  // A bank cut short by a crash (what atomic saving prevents) is caught too.
  const std::string bytes = read_text_file(good);
  const fs::path truncated = dir / "truncated.pt";
  std::ofstream(truncated, std::ios::binary).write(bytes.data(), bytes.size() / 2);
  EXPECT_TRUE(contains(error_of([&] { MemoryBank::load(truncated); }), "corrupt"));

  const std::string e2 = error_of([&] { MemoryBank::load(good, 512); });
  EXPECT_TRUE(contains(e2, "8-d")) << e2;
  EXPECT_TRUE(contains(e2, "512-d")) << e2;
  EXPECT_TRUE(contains(error_of([&] { MemoryBank::load(good, 0, "visual"); }), "visual"));
  EXPECT_NO_THROW(MemoryBank::load(good, 8, "audio"));
}

// One byte flipped inside the stored features: LibTorch's reader would hand
// the damaged bank back; the digest stored with it refuses it.
TEST(MemoryBank, AFlippedByteInsideTheFeaturesIsAnError) {
  test::TempDir dir;
  const MemoryBank bank =
      MemoryBank::from_features("audio", test::gaussian(6, "f", {6, 8}, torch::kFloat32), {});
  const fs::path path = dir / "m.bank-audio.pt";
  bank.save(path);
  std::string bytes = read_text_file(path);
  const torch::Tensor m = bank.matrix().contiguous();
  const std::string head(static_cast<const char*>(m.data_ptr()), 16);
  const size_t at = bytes.find(head);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 9] ^= 0x20;
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string e = error_of([&] { MemoryBank::load(path, 8, "audio"); });
  EXPECT_TRUE(contains(e, "is damaged (its features do not match the SHA-256")) << e;
  EXPECT_TRUE(contains(e, "m.bank-audio.pt")) << e;
}

TEST(MemoryBank, RejectsBadInput) {
  const torch::Tensor f = test::gaussian(5, "f", {4, 3}, torch::kFloat32);
  EXPECT_THROW(MemoryBank::from_features("depth", f, {}), Error);
  EXPECT_THROW(MemoryBank::from_features("audio", f.flatten(), {}), Error);
  torch::Tensor bad = f.clone();
  bad[1][2] = NAN;
  EXPECT_THROW(MemoryBank::from_features("audio", bad, {}), Error);
  MemoryBankSettings s;
  s.columns = -1;
  EXPECT_THROW(s.validate(), Error);
  s.columns = 12;
  s.selection = BankSelection::kRandom;
  s.seed = 99;
  EXPECT_EQ(nlohmann::json(nlohmann::json(s).get<MemoryBankSettings>()), nlohmann::json(s));
  EXPECT_THROW(parse_bank_selection("last"), Error);
}

}  // namespace avr
