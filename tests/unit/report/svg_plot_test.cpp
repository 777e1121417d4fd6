#include "avr/report/svg_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "avr/core/error.h"
#include "markup_check.h"

namespace avr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

LineChart accuracy_chart() {
  LineChart c;
  c.title = "Accuracy vs ε (MUSIC, FGSM)";
  c.x.label = "attack strength (×10⁻³)";
  c.y.label = "accuracy (%)";
  c.series = {{"audio-visual", {0, 2, 4, 8}, {91, 70, 52, 31}},
              {"unimodal A", {0, 2, 4, 8}, {80, 60, 45, 20}, true},
              {"unimodal V", {0, 2, 4, 8}, {72, 41, 22, 9}, true}};
  return c;
}

// Every number inside the d attribute of every <path>.
std::vector<double> path_numbers(const std::string& svg) {
  std::vector<double> out;
  std::regex d_attr("<path d=\"([^\"]*)\"");
  std::regex number("-?[0-9]+(\\.[0-9]+)?");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), d_attr); it != std::sregex_iterator(); ++it) {
    const std::string d = (*it)[1];
    for (auto n = std::sregex_iterator(d.begin(), d.end(), number); n != std::sregex_iterator(); ++n)
      out.push_back(std::stod((*n)[0]));
  }
  return out;
}

TEST(LineChart, IsWellFormedWithOneGroupPerSeriesAndAllLabels) {
  const std::string svg = accuracy_chart().to_svg();
  const auto check = test::check_markup(svg);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(check.roots, 1);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(check.elements.at("g"), 3);
  EXPECT_EQ(test::count_of(svg, "fill=\"none\" stroke="), 3) << "one polyline per series";
  // Series 0 uses circles: 4 points + its legend entry.
  EXPECT_EQ(check.elements.at("circle"), 4 + 1);
  for (const char* s : {"audio-visual", "unimodal A", "unimodal V", "accuracy (%)",
                        "attack strength (×10⁻³)", "Accuracy vs ε (MUSIC, FGSM)"})
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  // Dashed baselines are dashed in the plot and in the legend.
  EXPECT_EQ(test::count_of(svg, "stroke-dasharray=\"7 4\""), 2);
  EXPECT_EQ(test::count_of(svg, "stroke-dasharray=\"6 4\""), 2);
}

TEST(LineChart, MissingValuesSplitTheLineAndNeverReachTheSvg) {
  LineChart c;
  c.series = {{"s", {1, 2, 3, 4, 5}, {1, kNaN, 3, std::numeric_limits<double>::infinity(), 5}}};
  const std::string svg = c.to_svg();
  ASSERT_EQ(test::check_markup(svg).error, "");
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  // Three finite points, none adjacent: three separate runs, three markers.
  const std::regex line_path("<path d=\"(M[^\"]*)\" fill=\"none\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, line_path));
  EXPECT_EQ(test::count_of(m[1], "M"), 3);
  EXPECT_EQ(test::count_of(m[1], "L"), 0);
  EXPECT_EQ(test::count_of(svg, "<circle"), 3 + 1);  // + the legend's marker
}

TEST(LineChart, AllMissingStillDrawsAnEmptyFrame) {
  LineChart c;
  c.title = "nothing yet";
  c.series = {{"s", {kNaN, 1}, {2, kNaN}}};
  const std::string svg = c.to_svg();
  EXPECT_EQ(test::check_markup(svg).error, "");
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(LineChart, FixedRangeGivesRoundTicksAndClampsOutliersIntoTheCanvas) {
  LineChart c = accuracy_chart();
  c.y.min = 0;
  c.y.max = 100;
  c.series[0].y[0] = 150;  // beyond the fixed range
  const std::string svg = c.to_svg();
  for (const char* t : {">0</text>", ">20</text>", ">40</text>", ">60</text>", ">80</text>", ">100</text>"})
    EXPECT_NE(svg.find(t), std::string::npos) << t;
  for (double v : path_numbers(svg)) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, c.style.width);
  }
}

TEST(LineChart, AutomaticTicksCoverTheDataWithReadableDecimals) {
  LineChart c;
  c.series = {{"eps", {0.001, 0.012}, {0.25, 0.75}}};
  const std::string svg = c.to_svg();
  EXPECT_NE(svg.find(">0.002</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0.012</text>"), std::string::npos);
  EXPECT_EQ(svg.find("0.30000"), std::string::npos) << "no floating-point noise in labels";
}

TEST(LineChart, LogAxisSkipsNonPositiveValuesAndRejectsANonPositiveMin) {
  LineChart c;
  c.x.log = true;
  c.series = {{"s", {0, 0.001, 0.01, 0.1}, {1, 2, 3, 4}}};
  const std::string svg = c.to_svg();
  EXPECT_EQ(test::check_markup(svg).error, "");
  EXPECT_NE(svg.find(">0.001</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0.1</text>"), std::string::npos);
  EXPECT_EQ(test::count_of(svg, "<circle"), 3 + 1);
  c.x.min = 0;
  EXPECT_THROW(c.to_svg(), Error);
}

TEST(LineChart, RejectsMismatchedSeriesAndBadStyle) {
  LineChart c;
  c.series = {{"short", {1, 2, 3}, {1, 2}}};
  try {
    c.to_svg();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'short'"), std::string::npos) << e.what();
  }
  LineChart d;
  d.style.width = 10;
  EXPECT_THROW(d.to_svg(), Error);
}

TEST(LineChart, EscapesNamesAndDrawsReferenceLines) {
  LineChart c;
  c.series = {{"A<B & \"C\"", {1, 2}, {3, 4}}};
  c.ref_lines = {{3.5, "clean <acc>"}};
  const std::string svg = c.to_svg();
  EXPECT_EQ(test::check_markup(svg).error, "");
  EXPECT_NE(svg.find("A&lt;B &amp; &quot;C&quot;"), std::string::npos);
  EXPECT_NE(svg.find("clean &lt;acc&gt;"), std::string::npos);
}

TEST(LineChart, DrawsLabelledVerticalMarksInsideTheAxisRange) {
  LineChart c;
  c.x.log = true;
  c.series = {{"AV", {1, 2, 4, 8}, {90, 60, 30, 10}}};
  c.x_marks = {{16, "ε* = 16 <crossing>"}, {-1, "not on a log axis"}};
  const std::string svg = c.to_svg();
  EXPECT_EQ(test::check_markup(svg).error, "");
  EXPECT_NE(svg.find("ε* = 16 &lt;crossing&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("not on a log axis"), std::string::npos);
  // The mark widens the x range: the axis reaches 16 (a tick label at 10 or 20).
  EXPECT_TRUE(svg.find(">20<") != std::string::npos || svg.find(">10<") != std::string::npos) << svg;
  EXPECT_NE(svg.find("stroke-dasharray=\"4 3\""), std::string::npos);
}

BarChart attack_bars() {
  BarChart b;
  b.title = "Accuracy per attack";
  b.x_label = "attack";
  b.y.label = "accuracy (%)";
  b.categories = {"clean", "FGSM", "PGD"};
  b.series = {{"concat", {91.26, 40.5, kNaN}}, {"sum", {89, 35, 12}}};
  return b;
}

TEST(BarChart, OneBarPerFiniteValueWithValueLabelsAndNa) {
  const std::string svg = attack_bars().to_svg();
  const auto check = test::check_markup(svg);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(check.elements.at("g"), 2);
  // background + 5 bars + 2 legend swatches
  EXPECT_EQ(check.elements.at("rect"), 1 + 5 + 2);
  for (const char* s : {">91.3</text>", ">40.5</text>", ">n/a</text>", ">PGD</text>", ">concat</text>"})
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  EXPECT_EQ(svg.find("rotate(-35"), std::string::npos);
}

TEST(BarChart, LongCategoryNamesAreTurnedAndMismatchesRejected) {
  BarChart b = attack_bars();
  b.categories = {"clean inputs, no attack", "FGSM on audio and visual", "PGD-10 on visual only",
                  "MIM on audio only"};
  for (auto& s : b.series) s.values.push_back(20);
  const std::string svg = b.to_svg();
  EXPECT_EQ(test::check_markup(svg).error, "");
  EXPECT_EQ(test::count_of(svg, "rotate(-35"), 4);
  b.series[0].values.pop_back();
  EXPECT_THROW(b.to_svg(), Error);
  BarChart log = attack_bars();
  log.y.log = true;
  EXPECT_THROW(log.to_svg(), Error);
}

TEST(ScatterPlot, ColorsByClassShapesByGroupAndChecksClassIndices) {
  ScatterPlot p;
  p.title = "t-SNE";
  p.show_axes = false;
  p.classes = {"violin", "tuba", "flute"};
  p.groups = {{"audio", Marker::circle, {0, 1, 2, kNaN}, {0, 1, 2, 3}, {0, 1, 2, 0}},
              {"visual", Marker::triangle, {3, 4}, {1, 0}, {2, 2}}};
  const std::string svg = p.to_svg();
  const auto check = test::check_markup(svg);
  ASSERT_EQ(check.error, "");
  // 3 finite audio points + 3 class legend dots + the "audio" group legend dot.
  EXPECT_EQ(check.elements.at("circle"), 3 + 3 + 1);
  EXPECT_NE(svg.find(">violin</text>"), std::string::npos);
  EXPECT_NE(svg.find(">visual</text>"), std::string::npos);
  // The two visual points are class 2: the third palette color.
  EXPECT_EQ(test::count_of(svg, "fill=\"" + colorblind_palette()[2] + "\" fill-opacity"), 1 + 2);
  EXPECT_EQ(svg.find(">0</text>"), std::string::npos) << "no ticks when axes are off";
  p.groups[1].cls[0] = 3;
  EXPECT_THROW(p.to_svg(), Error);
}

TEST(ScatterPlot, ManyClassesGetDistinctColors) {
  ScatterPlot p;
  std::set<std::string> colors;
  for (int k = 0; k < 30; ++k) p.classes.push_back("c" + std::to_string(k));
  ScatterGroup g;
  for (int k = 0; k < 30; ++k) g.x.push_back(k), g.y.push_back(k), g.cls.push_back(k);
  p.groups = {g};
  p.style.height = 600;
  const std::string svg = p.to_svg();
  std::regex fill("<circle[^>]*fill=\"(#[0-9A-Fa-f]{6})\" fill-opacity");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), fill); it != std::sregex_iterator(); ++it)
    colors.insert((*it)[1]);
  EXPECT_EQ(colors.size(), 30u);
}

}  // namespace
}  // namespace avr
