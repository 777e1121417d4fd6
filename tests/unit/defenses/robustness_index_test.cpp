#include "avr/defenses/robustness_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "avr/core/error.h"

namespace avr {
namespace {

struct PaperRow {
  std::string name;
  RobustnessScores scores;
  double avg, ri;  // as printed in the paper
};

// Rows 0 of each table is the undefended base model ("None").
void check_table(const std::vector<PaperRow>& rows) {
  const RobustnessScores& none = rows.front().scores;
  for (const PaperRow& r : rows) {
    SCOPED_TRACE(r.name);
    // The printed inputs are rounded to 0.01, so Avg may be off by 0.01 and RI by 0.02.
    EXPECT_NEAR(r.scores.avg(), r.avg, 0.0101);
    EXPECT_NEAR(relative_improvement(r.scores, none), r.ri, 0.0201);
  }
}

}  // namespace

TEST(RobustnessIndex, PaperMusicMinSimPlusExFMem) {
  const RobustnessScores none{88.46, 51.92, 45.19, 15.38};
  const RobustnessScores full{90.38, 73.08, 53.85, 42.31};
  EXPECT_NEAR(none.avg(), 37.50, 0.005);
  EXPECT_NEAR(full.avg(), 56.41, 0.005);
  EXPECT_NEAR(relative_improvement(full, none), 20.83, 0.01);
  // The brief's worked example with the paper's rounded Avg values: exactly 20.83.
  EXPECT_NEAR((90.38 + 56.41) - (88.46 + 37.50), 20.83, 1e-9);
  EXPECT_EQ(relative_improvement(none, none), 0.0);
}

// Table 3 (FGSM, MUSIC), Table 5 (FGSM, AVE) and Table 6 (MIM, all three datasets).
TEST(RobustnessIndex, PaperTablesAgreeWithTheFormula) {
  check_table({{"None", {88.46, 51.92, 45.19, 15.38}, 37.50, 0.00},
               {"Unimodal A", {59.62, 0.00, 59.62, 0.00}, 19.87, -46.47},
               {"Unimodal V", {81.73, 81.73, 11.54, 11.54}, 34.94, -9.29},
               {"MaxSim", {89.42, 52.88, 45.19, 31.73}, 43.27, 6.73},
               {"MinSim", {91.35, 70.19, 46.15, 36.54}, 50.96, 16.35},
               {"ExFMem", {89.42, 53.85, 50.00, 20.19}, 41.34, 4.80},
               {"MinSim+ExFMem", {90.38, 73.08, 53.85, 42.31}, 56.41, 20.83}});
  check_table({{"None", {70.40, 40.55, 24.88, 8.71}, 24.71, 0.00},
               {"Unimodal A", {29.85, 1.24, 29.85, 1.24}, 10.77, -54.49},
               {"Unimodal V", {65.17, 65.17, 17.66, 17.66}, 33.50, 3.56},
               {"PCL", {61.94, 61.69, 17.91, 17.91}, 32.50, -0.67},
               {"MaxSim", {71.64, 35.82, 25.62, 16.42}, 25.95, 2.48},
               {"MinSim", {70.90, 57.21, 25.37, 21.39}, 34.66, 10.45},
               {"ExFMem", {71.39, 44.78, 28.11, 10.95}, 27.94, 4.22},
               {"MinSim+ExFMem", {71.39, 58.21, 29.35, 26.62}, 38.06, 14.34}});
  check_table({{"None", {88.46, 20.19, 16.35, 0.00}, 12.18, 0.00},
               {"Unimodal A", {59.62, 0.00, 59.62, 0.00}, 19.87, -21.15},
               {"Unimodal V", {81.73, 81.73, 11.54, 11.54}, 34.94, 16.03},
               {"PCL", {83.65, 79.81, 17.31, 17.31}, 38.14, 21.15},
               {"Ours (Full)", {90.38, 64.42, 27.88, 18.27}, 36.86, 26.60}});
  check_table({{"None", {72.42, 11.18, 9.63, 0.32}, 7.04, 0.00},
               {"Unimodal A", {35.99, 0.10, 35.99, 0.10}, 12.06, -31.41},
               {"Unimodal V", {66.08, 66.08, 5.77, 5.77}, 25.87, 12.49},
               {"PCL", {64.50, 62.98, 20.26, 19.97}, 34.40, 19.44},
               {"MaxSim", {71.39, 17.65, 18.78, 13.89}, 16.77, 8.70},
               {"Ours (Full)", {71.33, 44.72, 16.04, 9.99}, 23.58, 15.45}});
  check_table({{"None", {70.40, 15.17, 10.20, 0.25}, 8.54, 0.00},
               {"Unimodal A", {29.85, 0.00, 29.85, 0.00}, 9.95, -39.14},
               {"Unimodal V", {65.17, 65.17, 5.22, 5.22}, 25.20, 11.43},
               {"PCL", {61.94, 61.44, 7.21, 6.97}, 25.21, 8.21},
               {"MaxSim", {71.64, 15.17, 12.94, 8.96}, 12.36, 5.06},
               {"Ours (Full)", {71.39, 52.99, 14.43, 11.44}, 26.29, 18.74}});
}

// Three printed rows do not follow from their own numbers: typos in the paper, not a
// different formula (every other row of Tables 3, 5 and 6 agrees to rounding).
TEST(RobustnessIndex, ThreePaperRowsHaveTypos) {
  // Table 3, MIT-MUSIC, PCL: printed Avg 51.91 and RI 9.60; its accuracies are 85, 39
  // and 38 of 104 clips, so Avg = 162/312 = 51.92 and RI = 9.62.
  const RobustnessScores music_none{88.46, 51.92, 45.19, 15.38};
  const RobustnessScores pcl{83.65, 81.73, 37.50, 36.54};
  EXPECT_NEAR(pcl.avg(), 51.92, 0.005);
  EXPECT_NEAR(relative_improvement(pcl, music_none), 9.62, 0.005);
  // Table 3, Kinetics-Sounds, MinSim: printed 8.99.
  const RobustnessScores ks_none{72.42, 36.40, 26.35, 8.09};
  const RobustnessScores ks_minsim{70.88, 52.42, 28.12, 21.62};
  EXPECT_NEAR(relative_improvement(ks_minsim, ks_none), 8.90, 0.005);
  // Table 6, MIT-MUSIC, MaxSim: printed 12.84. MUSIC's 104 test clips make the
  // accuracies exact multiples of 1/104: 93, 26, 33, 16 vs 92, 21, 17, 0 clips.
  const auto pct = [](int clips) { return 100.0 * clips / 104; };
  const RobustnessScores m_none{pct(92), pct(21), pct(17), pct(0)};
  const RobustnessScores m_maxsim{pct(93), pct(26), pct(33), pct(16)};
  EXPECT_NEAR(relative_improvement(m_maxsim, m_none), 12.82, 0.005);
}

TEST(RobustnessIndex, RejectsNonPercentagesAndJsonRoundTrips) {
  const RobustnessScores none{88.46, 51.92, 45.19, 15.38};
  try {
    relative_improvement(RobustnessScores{88.46, 151.92, 45.19, 15.38}, none);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attack_audio"), std::string::npos) << e.what();
  }
  EXPECT_THROW(relative_improvement(none, RobustnessScores{-1, 0, 0, 0}), Error);
  const nlohmann::json j = none;
  EXPECT_NEAR(j["avg"].get<double>(), 37.4967, 1e-4);
  const RobustnessScores back = j.get<RobustnessScores>();
  EXPECT_EQ(back.clean, none.clean);
  EXPECT_EQ(back.attack_both, none.attack_both);
}

}  // namespace avr
