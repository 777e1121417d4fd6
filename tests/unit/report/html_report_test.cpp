#include "avr/report/html_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/media/image.h"
#include "avr/report/line_chart.h"
#include "avr/report/wav_bytes.h"
#include "markup_check.h"
#include "test_support.h"

namespace avr {
namespace {

std::vector<uint8_t> tiny_png() {
  Image im(4, 3);
  for (size_t i = 0; i < im.rgb.size(); ++i) im.rgb[i] = static_cast<uint8_t>(i * 20);
  return encode_png(im);
}

std::vector<uint8_t> tone(float amplitude) {
  Audio a;
  a.sample_rate = 8000;
  a.channels = 1;
  for (int i = 0; i < 800; ++i) a.samples.push_back(amplitude * std::sin(i * 0.3f));
  return encode_wav(a);
}

std::string chart() {
  LineChart c;
  c.series = {{"s", {1, 2}, {3, 4}}};
  return c.to_svg();
}

HtmlReport full_report() {
  HtmlReport r("Robustness <study>", "MUSIC, seed 7");
  r.add_section("Setup", "What ran & why.");
  r.add_config(nlohmann::json{{"eps", 0.06}, {"note", "a<b"}});
  r.add_section("Attacks");
  r.add_table("Accuracy", {"Model", "Clean"}, {{"AV", "90.0"}, {"A", "80.0"}},
              {{{0, 1}, Emphasis::best}});
  r.add_figure_svg("Accuracy vs eps", chart());
  r.add_figure_png("Heatmap", tiny_png());
  r.add_figure("Panels", {{"clean", "", tiny_png(), ""}, {"chart", chart(), {}, ""}});
  r.add_audio_pair("FGSM ✗A", tone(0.5f), tone(0.6f), tiny_png(), tiny_png());
  r.add_section("Attacks");  // same title twice: ids must still be unique
  r.add_text("Second attacks section.");
  // The summary is added last but must come first.
  r.add_summary({{"F1", "Integration helps.", false, "AV 12 < V 40"},
                 {"F2", "Defense helps.", true, "RI +8"}});
  return r;
}

TEST(HtmlReport, WritesOneWellFormedSelfContainedPageWithEveryPart) {
  test::TempDir dir;
  const auto path = dir / "out/report.html";
  full_report().write(path);
  const std::string html = read_text_file(path);
  const auto check = test::check_markup(html, true);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(check.elements.at("section"), 4);  // summary + 3
  EXPECT_EQ(check.elements.at("svg"), 2);
  EXPECT_EQ(check.elements.at("img"), 4);
  EXPECT_EQ(check.elements.at("audio"), 2);
  EXPECT_EQ(check.elements.at("figure"), 4);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(test::count_of(html, "http://"), test::count_of(html, "http://www.w3.org/2000/svg"))
      << "nothing is fetched: the only URL is the SVG namespace";
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_EQ(test::count_of(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 4);
  EXPECT_EQ(test::count_of(html, "src=\"data:audio/wav;base64,UklGR"), 2);
  EXPECT_NE(html.find("<h1>Robustness &lt;study&gt;</h1>"), std::string::npos);
  EXPECT_NE(html.find("&quot;note&quot;: &quot;a&lt;b&quot;"), std::string::npos);
}

TEST(HtmlReport, SummaryComesFirstAndPartsAreNumberedInOrder) {
  const std::string html = full_report().html();
  const size_t summary = html.find("<section id=\"summary\">");
  ASSERT_NE(summary, std::string::npos);
  EXPECT_LT(summary, html.find("<section id=\"sec-setup\">"));
  EXPECT_LT(html.find("<nav class=\"toc\""), summary);
  EXPECT_NE(html.find("1 of 2 findings hold"), std::string::npos);
  for (const char* s : {"href=\"#summary\"", "href=\"#sec-setup\"", "href=\"#sec-attacks\"",
                        "href=\"#sec-attacks-2\"", "<b>Table 1.</b> Accuracy",
                        "<b>Figure 1.</b> Accuracy vs eps", "<b>Figure 2.</b> Heatmap",
                        "<b>Figure 3.</b> Panels", "<b>Audio 1.</b> FGSM ✗A",
                        "<h2>3. Attacks</h2>", "<strong>90.0</strong>"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  EXPECT_LT(html.find("Figure 1."), html.find("Figure 2."));
  const HtmlReport r = full_report();
  EXPECT_EQ(r.figures(), 3);
  EXPECT_EQ(r.tables(), 1);
}

TEST(HtmlReport, InlinesSvgWithoutItsPrologAndRefusesScript) {
  HtmlReport r("t");
  r.add_figure_svg("with prolog", "<?xml version=\"1.0\"?>\n" + chart());
  const std::string html = r.html();
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(test::check_markup(html, true).error, "");
  EXPECT_THROW(r.add_figure_svg("evil", "<svg><script>alert(1)</script></svg>"), Error);
  EXPECT_THROW(r.add_figure_svg("not svg", "<div></div>"), Error);
  EXPECT_THROW(r.add_figure_svg("cut", chart().substr(0, 100)), Error);
}

TEST(HtmlReport, RejectsBytesOfTheWrongKind) {
  HtmlReport r("t");
  const std::vector<uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_THROW(r.add_figure_png("junk", junk), Error);
  EXPECT_THROW(r.add_audio_pair("png as audio", tiny_png(), tone(0.5f)), Error);
  EXPECT_THROW(r.add_audio_pair("bad spectrogram", tone(0.5f), tone(0.5f), junk), Error);
  EXPECT_THROW(r.add_figure("empty", {}), Error);
  r.add_summary({});
  EXPECT_THROW(r.add_summary({}), Error);
  EXPECT_EQ(r.figures(), 0) << "failed parts leave no trace";
}

}  // namespace
}  // namespace avr
