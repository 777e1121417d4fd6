// Opens a report with every kind of part in headless Chromium (page_probe.h):
// each image decodes, each chart lays out and each audio clip loads with the
// right duration; a screenshot of the real, script-free page is kept.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "avr/core/fs.h"
#include "avr/core/rng.h"
#include "avr/media/image.h"
#include "avr/report/html_report.h"
#include "avr/report/raster.h"
#include "avr/report/spectrogram.h"
#include "avr/report/svg_plot.h"
#include "avr/report/wav_bytes.h"
#include "page_probe.h"
#include "test_support.h"

namespace avr {
namespace {

constexpr double kClipSeconds = 0.75;

Audio tone(double hz, int rate, Rng* noise) {
  Audio a;
  a.sample_rate = rate;
  a.channels = 1;
  const int n = static_cast<int>(kClipSeconds * rate);
  for (int i = 0; i < n; ++i) {
    double v = 0.4 * std::sin(2 * M_PI * hz * i / rate);
    if (noise) v += 0.02 * (noise->uniform() < 0.5 ? -1 : 1);  // an FGSM-like ±eps pattern
    a.samples.push_back(static_cast<float>(v));
  }
  return a;
}

Image frame(int w, int h) {
  Image im(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = im.at(x, y);
      p[0] = static_cast<uint8_t>(60 + 120 * x / w), p[1] = static_cast<uint8_t>(90 + 100 * y / h), p[2] = 140;
    }
  return im;
}

HtmlReport sample_report() {
  HtmlReport r("Audio-visual robustness — browser test", "A sample with every kind of part");
  r.add_summary({{"F1", "Audio-visual integration does not always strengthen robustness.", true,
                  "✗A FGSM ε=0.06: AV 31.2% < unimodal V 70.4%"},
                 {"F2", "MinSim + ExFMem has the best relative improvement.", false,
                  "RI 12.1 (ours) vs 14.0 (PCL)"}});
  r.add_section("Robustness", "Accuracy of each model as the attack grows.");
  LineChart lc;
  lc.title = "MUSIC, FGSM";
  lc.x.label = "attack strength (×10⁻³)";
  lc.y.label = "accuracy (%)";
  lc.y.min = 0, lc.y.max = 100;
  lc.series = {{"audio-visual", {0, 2, 4, 6, 8}, {91, 74, 55, 40, 31}},
               {"unimodal A", {0, 2, 4, 6, 8}, {80, 61, 44, NAN, 20}, true},
               {"unimodal V", {0, 2, 4, 6, 8}, {72, 50, 31, 18, 9}, true}};
  lc.ref_lines = {{10, "chance"}};
  r.add_figure_svg("Accuracy against FGSM strength on MUSIC (ε_a = ε_v).", lc.to_svg());
  BarChart bc;
  bc.title = "Accuracy per attack";
  bc.y.label = "accuracy (%)";
  bc.categories = {"clean", "✗A", "✗V", "✗AV"};
  bc.series = {{"concat", {91, 40, 35, 12}}, {"sum", {89, 45, 30, NAN}}};
  ScatterPlot sp;
  sp.title = "t-SNE";
  sp.show_axes = false;
  sp.classes = {"violin", "tuba", "flute"};
  Rng rng(7);
  ScatterGroup audio{"audio", Marker::circle, {}, {}, {}}, visual{"visual", Marker::triangle, {}, {}, {}};
  for (int i = 0; i < 60; ++i) {
    ScatterGroup& g = i % 2 ? visual : audio;
    const int c = i % 3;
    g.x.push_back(c * 3 + rng.normal()), g.y.push_back((c % 2) * 3 + rng.normal()), g.cls.push_back(c);
  }
  sp.groups = {audio, visual};
  r.add_figure("Accuracy per attack and embeddings.", {{"bars", bc.to_svg(), {}, ""},
                                                       {"t-SNE", sp.to_svg(), {}, ""}});
  Table t;
  t.caption = "Accuracy (%) under FGSM, ε = 0.06.";
  t.columns = {"Model", "Clean", "✗A", "✗V", "✗AV"};
  t.add_row({"Concat", "91.0", "40.0", "35.0", "12.0"});
  t.add_row({"Sum", "89.0", "45.0", "30.0", "n/a"});
  t.add_row({"Unimodal A", "80.0", "20.0", "80.0", "20.0"});
  for (size_t c = 1; c < 5; ++c) t.emphasize_top(c);
  r.add_table(t);

  r.add_section("Localization and audio");
  const Image clean = frame(112, 112);
  Image adv = clean;
  for (size_t i = 0; i < adv.rgb.size(); ++i) adv.rgb[i] = static_cast<uint8_t>(adv.rgb[i] + (i % 7 == 0 ? 3 : 0));
  Heatmap att(7, 7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x) att.at(x, y) = std::exp(-((x - 2) * (x - 2) + (y - 4) * (y - 4)) / 3.0f);
  Image overlay = overlay_heatmap(clean, att);
  draw_rect(overlay, 10, 60, 50, 100, {255, 255, 255}, 2);
  r.add_figure("Sound source localization (jet heatmap, ground truth in white).",
               {{"clean frame", "", encode_png(upscale_nearest(clean, 2)), ""},
                {"attention", "", encode_png(upscale_nearest(overlay, 2)), ""},
                {"perturbation ×40", "", encode_png(upscale_nearest(perturbation_image(clean, adv, 40.0), 2)), ""}});
  const Audio a_clean = tone(440, 16000, nullptr);
  Rng noise = Rng(11).fork("browser/noise");
  const Audio a_adv = tone(440, 16000, &noise);
  const Spectrogram s_clean = compute_spectrogram(a_clean), s_adv = compute_spectrogram(a_adv);
  r.add_audio_pair("FGSM ✗A, ε = 0.02: the perturbation is the broadband floor.",
                   encode_wav(a_clean), encode_wav(a_adv),
                   encode_png(spectrogram_image(s_clean, {}, s_clean.max_magnitude())),
                   encode_png(spectrogram_image(s_adv, {}, s_clean.max_magnitude())));
  r.add_section("Run");
  r.add_config(nlohmann::json{{"dataset", "music"}, {"eps", {0.002, 0.004}}, {"seed", 7}});
  return r;
}

TEST(ReportInBrowser, EveryPartLoadsAndThePageRenders) {
  ASSERT_TRUE(fs::exists(browser::kChromium)) << browser::kChromium << " is absent: run `make deps`";
  const fs::path out = AVR_TEST_OUTPUT_DIR;
  ensure_dir(out);
  test::TempDir tmp;
  const HtmlReport report = sample_report();
  report.write(out / "report.html");
  const auto page = browser::probe_page(report.html(), out, "report", tmp / "profile1");
  ASSERT_TRUE(page.finished) << "the page did not finish loading; DOM in " << (out / "report_dom.html");
  EXPECT_NE(page.dom.find("Audio-visual robustness — browser test</h1>"), std::string::npos);
  EXPECT_EQ(page.img_ok, 5) << "3 frames + 2 spectrograms decoded";
  EXPECT_EQ(page.svg_ok, 3) << "line, bar and scatter charts laid out";
  EXPECT_EQ(page.audio_ok, 2) << "clean and adversarial WAV decoded";
  EXPECT_EQ(page.dom.find("data-ok=\"0\""), std::string::npos);
  ASSERT_EQ(page.audio_seconds.size(), 2u);
  for (double s : page.audio_seconds) EXPECT_NEAR(s, kClipSeconds, 0.01);

  const fs::path shot = out / "report.png";
  browser::expect_screenshot(out / "report.html", shot, tmp / "profile2", 1280, 2000);
  std::cout << "report: " << (out / "report.html").string() << "\nscreenshot: " << shot.string()
            << std::endl;
}

}  // namespace
}  // namespace avr
