#include "avr/report/findings.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "markup_check.h"

namespace avr {
namespace {

std::vector<Finding> sample() {
  return {{"F1", "Audio-visual integration does not always strengthen robustness.", true,
           "✗A: AV 31.2% < unimodal V 70.4%"},
          {"F2", "MinSim + ExFMem gives the best RI.", false, "RI 12.1 vs PCL 14.0 <best>"}};
}

TEST(Findings, TallyAndMarkdownSayWhichHold) {
  EXPECT_EQ(findings_tally(sample()), "1 of 2 findings hold");
  EXPECT_EQ(findings_tally({sample()[0]}), "1 of 1 finding holds");
  const std::string md = findings_markdown(sample());
  EXPECT_NE(md.find("- **F1** (holds): Audio-visual"), std::string::npos) << md;
  EXPECT_NE(md.find("- **F2** (does not hold): MinSim"), std::string::npos) << md;
}

TEST(Findings, HtmlStatesTheVerdictInWordsAndEscapesEvidence) {
  const std::string html = findings_html(sample());
  const auto check = test::check_markup(html, true);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(check.elements.at("li"), 2);
  EXPECT_EQ(test::count_of(html, "holds</div>"), 1);
  EXPECT_EQ(test::count_of(html, "does not hold</div>"), 1);
  EXPECT_NE(html.find("id=\"finding-f1\""), std::string::npos);
  EXPECT_NE(html.find("RI 12.1 vs PCL 14.0 &lt;best&gt;"), std::string::npos);
}

TEST(Findings, DuplicateOrEmptyIdsAreRejected) {
  auto f = sample();
  f[1].id = "F1";
  EXPECT_THROW(validate_findings(f), Error);
  f[1].id = "";
  EXPECT_THROW(findings_html(f), Error);
}

TEST(Findings, JsonRoundTrip) {
  const nlohmann::json j = sample();
  const auto back = j.get<std::vector<Finding>>();
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].id, "F2");
  EXPECT_FALSE(back[1].holds);
  EXPECT_TRUE(back[0].holds);
  EXPECT_EQ(back[0].evidence, sample()[0].evidence);
  EXPECT_THROW(nlohmann::json({{"id", "x"}}).get<Finding>(), Error);
}

}  // namespace
}  // namespace avr
