// The study's own report.html (the smoke study's, written by test_study: ctest
// runs it first through the study_smoke fixture) opened in headless Chromium:
// every image, chart and audio clip on the page loads, the console stays
// empty (no blocked resource, no error), and a screenshot is kept.
#include <gtest/gtest.h>

#include <iostream>

#include "avr/core/fs.h"
#include "page_probe.h"
#include "test_support.h"

namespace avr {
namespace {

TEST(StudyReportInBrowser, EveryPartOfTheSmokeStudysReportLoads) {
  ASSERT_TRUE(fs::exists(browser::kChromium)) << browser::kChromium << " is absent: run `make deps`";
  const fs::path page = fs::path(AVR_STUDY_SMOKE_DIR) / "report.html";
  ASSERT_TRUE(fs::exists(page)) << page << " is missing: StudySmoke (test_study) writes it; "
                                   "`ctest -R StudyReportInBrowser` runs that first";
  const fs::path out = fs::path(AVR_TEST_OUTPUT_DIR) / "study";
  ensure_dir(out);
  test::TempDir tmp;
  const std::string html = read_text_file(page);
  const auto probe = browser::probe_page(html, out, "report", tmp / "profile1");
  ASSERT_TRUE(probe.finished) << "the page did not finish loading; DOM in " << (out / "report_dom.html");

  // Every element of each kind loaded, and the report has each kind.
  EXPECT_EQ(probe.img, static_cast<int>(browser::tags(html, "img").size()));
  EXPECT_EQ(probe.img_ok, probe.img) << "images that did not decode; DOM in " << (out / "report_dom.html");
  EXPECT_EQ(probe.svg_ok, probe.svg) << "charts that did not lay out";
  EXPECT_EQ(probe.audio_ok, probe.audio) << "audio clips that did not load";
  EXPECT_GE(probe.img, 4) << "adversarial frames, spectrograms and localization maps";
  EXPECT_GE(probe.svg, 3) << "at least Figure 3's three panels";
  EXPECT_GE(probe.audio, 2) << "at least one clean/adversarial pair";
  for (double s : probe.audio_seconds) EXPECT_GT(s, 0.05);
  // Chromium logs every console message (a blocked resource "violates the
  // following Content Security Policy", an "Uncaught" error) as INFO:CONSOLE.
  EXPECT_EQ(probe.log.find(":CONSOLE"), std::string::npos) << "Chromium's log:\n" << probe.log;
  EXPECT_NE(probe.dom.find("Summary of findings"), std::string::npos);

  const fs::path shot = out / "report.png";
  browser::expect_screenshot(page, shot, tmp / "profile2", 1280, 2000);
  std::cout << "report: " << page.string() << "\nscreenshot: " << shot.string() << std::endl;
}

}  // namespace
}  // namespace avr
