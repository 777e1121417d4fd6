// `avr localize` end to end on a tiny generated dataset and an untrained
// localizer checkpoint: the result files and figures appear; a bad checkpoint
// is one error line and a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "avr/media/image.h"
#include "avr/synth/generator.h"
#include "avr/synth/instruments.h"
#include "test_support.h"

namespace avr {

TEST(Cli, LocalizeWritesScoresAndHeatmapsAndRejectsABadCheckpoint) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir / "data");
  test::save_untrained_localizer(dir / "loc.pt", profile);

  const std::string data = " --data-root " + (dir / "data").string();
  auto r = test::run_avr("localize --threads 2 --checkpoint " + (dir / "loc.pt").string() + data +
                         " --attack fgsm --eps 0.02 --limit 3 --examples 2 --display-size 48 --out " +
                         (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_text_file(dir / "out/localization.json"));
  const auto& conds = j.at("result").at("conditions");
  ASSERT_EQ(conds.size(), 4u);
  EXPECT_EQ(conds[3].at("name"), "✗AV");
  EXPECT_EQ(conds[1].at("threat_model").at("eps_a"), 0.02);
  EXPECT_EQ(j.at("result").at("clips"), 3);
  for (const std::string f : {"localization.csv", "localization.md"})
    EXPECT_TRUE(std::filesystem::exists(dir / "out" / f)) << f << "\n" << r.output;
  int pngs = 0, first_clean = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "out/heatmaps")) {
    const std::string name = e.path().filename().string();
    pngs += e.path().extension() == ".png";
    first_clean += name.rfind("00_", 0) == 0 && name.size() > 10 &&
                   name.substr(name.size() - 10) == "_clean.png";
  }
  EXPECT_EQ(pngs, 8);  // 2 clips × 4 conditions
  EXPECT_EQ(first_clean, 1);
  const Image m = read_image(dir / "out/localization_montage.png");
  EXPECT_EQ(m.width, 4 * 48 + 3 * 4);

  // --clean-only: the clean condition alone, a one-column montage.
  r = test::run_avr("localize --threads 2 --clean-only --checkpoint " + (dir / "loc.pt").string() + data +
                    " --limit 3 --examples 1 --display-size 48 --out " + (dir / "clean").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto jc = nlohmann::json::parse(read_text_file(dir / "clean/localization.json"));
  ASSERT_EQ(jc.at("result").at("conditions").size(), 1u);
  EXPECT_EQ(jc.at("result").at("conditions")[0].at("name"), "clean");
  EXPECT_EQ(jc.at("settings").at("clean_only"), true);
  EXPECT_EQ(read_image(dir / "clean/localization_montage.png").width, 48);

  write_file_atomic(dir / "bad.pt", "not a checkpoint");
  r = test::run_avr("localize --checkpoint " + (dir / "bad.pt").string() + data + " --out " +
                    (dir / "out2").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out2/localization.json"));
}

}  // namespace avr
