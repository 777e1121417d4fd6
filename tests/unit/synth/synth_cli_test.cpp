// `avr synth` through the real binary.
#include <gtest/gtest.h>

#include "avr/core/fs.h"
#include "avr/synth/manifest.h"
#include "test_support.h"

namespace avr {

TEST(SynthCli, HelpTeachesProfilesAndLayout) {
  const auto r = test::run_avr("synth --help");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"tiny", "default", "large", "--seed", "--jobs", "boxes.json", "--force"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}

TEST(SynthCli, GeneratesWithOverridesAndRefusesToOverwrite) {
  test::TempDir dir;
  const std::string out = (dir / "data").string();
  const std::string args =
      "synth --profile tiny --train-clips 12 --val-clips 3 --test-clips 3 "
      "--seed 5 --jobs 2 --quiet --out '" +
      out + "'";
  auto r = test::run_avr(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 18 clips"), std::string::npos) << r.output;
  const DatasetManifest m = read_manifest(dir / "data/manifest.json");
  EXPECT_EQ(m.seed, 5u);
  EXPECT_EQ(m.counts.at("train"), 12);
  EXPECT_EQ(m.profile, "tiny");

  r = test::run_avr(args);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
}

TEST(SynthCli, ConfigOverridesSettingsAndTyposAreErrors) {
  test::TempDir dir;
  write_file_atomic(dir / "ok.json", R"({"snr_db_min": 5, "snr_db_max": 6})");
  auto r = test::run_avr("synth --profile tiny --print-profile --config '" +
                         (dir / "ok.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("snr_db_min"), 5);
  EXPECT_EQ(j.at("frame_size"), 40);

  write_file_atomic(dir / "typo.json", R"({"snr_min": 5})");
  r = test::run_avr("synth --print-profile --config '" + (dir / "typo.json").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("snr_min"), std::string::npos) << r.output;

  r = test::run_avr("synth --profile huge --out x");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("huge"), std::string::npos) << r.output;
}

}  // namespace avr
