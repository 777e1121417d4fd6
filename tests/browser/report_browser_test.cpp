// Opens a report with every kind of part in headless Chromium: a probe copy of
// the page (the one place a script is allowed) checks that each image decodes,
// each chart lays out and each audio clip loads with the right duration; a
// screenshot of the real, script-free page is kept for people to look at.
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
#include "test_support.h"

namespace avr {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
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

// Test-only: a script that marks every media element with data-ok after
// checking it really decoded, and the whole page with data-probe when done.
const char* kProbeScript = R"JS(<script>
window.addEventListener('load', function () {
  var pending = 0;
  function finish() { if (pending === 0) document.documentElement.setAttribute('data-probe', 'done'); }
  document.querySelectorAll('img').forEach(function (im) {
    im.setAttribute('data-ok', im.complete && im.naturalWidth > 0 ? '1' : '0');
  });
  document.querySelectorAll('svg').forEach(function (s) {
    var b = s.getBBox();
    s.setAttribute('data-ok', b.width > 50 && b.height > 50 ? '1' : '0');
  });
  document.querySelectorAll('audio').forEach(function (a) {
    pending++;
    var settled = false;
    function mark(ok) {
      if (settled) return;
      settled = true;
      a.setAttribute('data-ok', ok ? '1' : '0');
      a.setAttribute('data-duration', String(a.duration));
      pending--;
      finish();
    }
    if (a.readyState >= 1) mark(a.duration > 0);
    else {
      a.addEventListener('loadedmetadata', function () { mark(a.duration > 0); });
      a.addEventListener('error', function () { mark(false); });
    }
  });
  finish();
});
</script>)JS";

std::string chromium(const fs::path& profile, const std::string& args, const fs::path& err) {
  return std::string("timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --hide-scrollbars --user-data-dir='" + profile.string() + "' " + args + " 2>'" +
         err.string() + "'";
}

TEST(ReportInBrowser, EveryPartLoadsAndThePageRenders) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is absent: run `make deps`";
  const fs::path out = AVR_TEST_OUTPUT_DIR;
  ensure_dir(out);
  test::TempDir tmp;
  const HtmlReport report = sample_report();
  const std::string html = report.html();
  ASSERT_EQ(html.find("<script"), std::string::npos);
  report.write(out / "report.html");

  // The probe copy allows its one inline script and nothing else: images and
  // audio still load only from data: URIs under the page's own policy.
  std::string probe = html;
  const std::string csp = "default-src 'none';";
  ASSERT_NE(probe.find(csp), std::string::npos);
  probe.replace(probe.find(csp), csp.size(), csp + " script-src 'unsafe-inline';");
  probe.insert(probe.rfind("</body>"), kProbeScript);
  write_file_atomic(out / "report_probe.html", probe);

  const auto dom_run = test::run_shell("(" +
      chromium(tmp / "profile1", "--virtual-time-budget=15000 --dump-dom 'file://" +
                                     (out / "report_probe.html").string() + "'",
               out / "chromium_dom.log") + ") > '" + (out / "dom.html").string() + "'");
  ASSERT_EQ(dom_run.exit_code, 0) << dom_run.output << read_text_file(out / "chromium_dom.log");
  const std::string dom = read_text_file(out / "dom.html");
  ASSERT_NE(dom.find("data-probe=\"done\""), std::string::npos)
      << "the page did not finish loading; DOM in " << (out / "dom.html");
  EXPECT_NE(dom.find("Audio-visual robustness — browser test</h1>"), std::string::npos);
  // Tags are scanned by hand: std::regex recurses per character and overflows
  // the stack on data: URIs of tens of kilobytes.
  auto tags = [&](const std::string& name) {
    std::vector<std::string> out;
    for (size_t p = dom.find("<" + name + " "); p != std::string::npos; p = dom.find("<" + name + " ", p + 1))
      out.push_back(dom.substr(p, dom.find('>', p) - p));
    return out;
  };
  auto ok = [&](const std::string& name) {
    int n = 0;
    for (const auto& t : tags(name)) n += t.find("data-ok=\"1\"") != std::string::npos;
    return n;
  };
  EXPECT_EQ(ok("img"), 5) << "3 frames + 2 spectrograms decoded";
  EXPECT_EQ(ok("svg"), 3) << "line, bar and scatter charts laid out";
  EXPECT_EQ(ok("audio"), 2) << "clean and adversarial WAV decoded";
  EXPECT_EQ(dom.find("data-ok=\"0\""), std::string::npos);
  int durations = 0;
  for (const auto& t : tags("audio")) {
    const size_t p = t.find("data-duration=\"");
    ASSERT_NE(p, std::string::npos) << t.substr(0, 200);
    EXPECT_NEAR(std::stod(t.substr(p + 15)), kClipSeconds, 0.01);
    ++durations;
  }
  EXPECT_EQ(durations, 2);

  const fs::path shot = out / "report.png";
  fs::remove(shot);
  const auto shot_run = test::run_shell(chromium(
      tmp / "profile2", "--virtual-time-budget=5000 --window-size=1280,2000 --screenshot='" + shot.string() + "' 'file://" +
                            (out / "report.html").string() + "'",
      out / "chromium_screenshot.log"));
  ASSERT_EQ(shot_run.exit_code, 0) << shot_run.output << read_text_file(out / "chromium_screenshot.log");
  const Image im = read_image(shot);
  EXPECT_EQ(im.width, 1280);
  EXPECT_EQ(im.height, 2000);
  // Not blank: a rendered report has text, charts and colorful images.
  size_t inked = 0;
  std::set<uint32_t> colors;
  for (size_t i = 0; i < im.rgb.size(); i += 3) {
    inked += im.rgb[i] < 200 || im.rgb[i + 1] < 200 || im.rgb[i + 2] < 200;
    colors.insert(uint32_t{im.rgb[i]} << 16 | uint32_t{im.rgb[i + 1]} << 8 | im.rgb[i + 2]);
  }
  EXPECT_GT(inked, im.rgb.size() / 3 / 50) << "under 2% of the page is drawn on";
  EXPECT_GT(colors.size(), 500u);
  std::cout << "report: " << (out / "report.html").string() << "\nscreenshot: " << shot.string()
            << std::endl;
}

}  // namespace
}  // namespace avr
