// Opening an HTML report in headless Chromium (Debian's) for the browser
// tests: a probe copy of the page (the one place a script is allowed) marks
// each image that decoded, each chart that laid out and each audio clip that
// loaded; a screenshot of the real, script-free page is kept for people.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "avr/core/fs.h"
#include "avr/media/image.h"
#include "test_support.h"

namespace avr::browser {

namespace fs = std::filesystem;

constexpr const char* kChromium = "/usr/bin/chromium";

// Test-only: a script that marks every media element with data-ok after
// checking it really decoded, and the whole page with data-probe when done.
inline const char* kProbeScript = R"JS(<script>
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

inline std::string chromium(const fs::path& profile, const std::string& args, const fs::path& err) {
  return std::string("timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --hide-scrollbars --user-data-dir='" + profile.string() + "' " + args + " 2>'" +
         err.string() + "'";
}

// What the probe found: per kind of element, how many the page has and how
// many loaded; the audio clips' durations; Chromium's log.
struct PageProbe {
  int img = 0, img_ok = 0, svg = 0, svg_ok = 0, audio = 0, audio_ok = 0;
  bool finished = false;  // the probe ran to its end
  std::vector<double> audio_seconds;
  std::string dom, log;
};

// Opening tags `<name ...` of a page, scanned by hand: std::regex recurses per
// character and overflows the stack on data: URIs of tens of kilobytes.
inline std::vector<std::string> tags(const std::string& page, const std::string& name) {
  std::vector<std::string> out;
  for (size_t p = page.find("<" + name + " "); p != std::string::npos;
       p = page.find("<" + name + " ", p + 1))
    out.push_back(page.substr(p, page.find('>', p) - p));
  return out;
}

// Writes out/<stem>_probe.html next to the page's copy and loads it; the DOM
// after the probe is out/<stem>_dom.html. The page must have no script and a
// "default-src 'none';" content security policy.
inline PageProbe probe_page(const std::string& html, const fs::path& out, const std::string& stem,
                            const fs::path& profile) {
  PageProbe r;
  EXPECT_EQ(html.find("<script"), std::string::npos) << "the report must not carry scripts";
  // The probe copy allows its one inline script and nothing else: images and
  // audio still load only from data: URIs under the page's own policy.
  std::string probe = html;
  const std::string csp = "default-src 'none';";
  if (probe.find(csp) == std::string::npos) {
    ADD_FAILURE() << "the page has no \"" << csp << "\" content security policy";
    return r;
  }
  probe.replace(probe.find(csp), csp.size(), csp + " script-src 'unsafe-inline';");
  probe.insert(probe.rfind("</body>"), kProbeScript);
  const fs::path probe_file = out / (stem + "_probe.html"), dom_file = out / (stem + "_dom.html");
  const fs::path log_file = out / (stem + "_chromium.log");
  write_file_atomic(probe_file, probe);
  const auto run = test::run_shell("(" +
      chromium(profile, "--enable-logging=stderr --virtual-time-budget=15000 --dump-dom 'file://" +
                            probe_file.string() + "'",
               log_file) + ") > '" + dom_file.string() + "'");
  r.log = read_text_file(log_file);
  EXPECT_EQ(run.exit_code, 0) << run.output << r.log;
  r.dom = read_text_file(dom_file);
  r.finished = r.dom.find("data-probe=\"done\"") != std::string::npos;
  auto count = [&](const std::string& name, int* all, int* ok) {
    for (const auto& t : tags(r.dom, name)) {
      ++*all;
      *ok += t.find("data-ok=\"1\"") != std::string::npos;
    }
  };
  count("img", &r.img, &r.img_ok);
  count("svg", &r.svg, &r.svg_ok);
  count("audio", &r.audio, &r.audio_ok);
  for (const auto& t : tags(r.dom, "audio")) {
    const size_t p = t.find("data-duration=\"");
    if (p != std::string::npos) r.audio_seconds.push_back(std::stod(t.substr(p + 15)));
  }
  return r;
}

// Screenshot of `page` at width × height; checks it is not blank (text, charts
// and colorful images cover part of it).
inline void expect_screenshot(const fs::path& page, const fs::path& png, const fs::path& profile,
                              int width, int height) {
  fs::remove(png);
  const fs::path log = png.parent_path() / (png.stem().string() + "_chromium.log");
  const auto run = test::run_shell(chromium(
      profile, "--virtual-time-budget=5000 --window-size=" + std::to_string(width) + "," +
                   std::to_string(height) + " --screenshot='" + png.string() + "' 'file://" +
                   page.string() + "'",
      log));
  ASSERT_EQ(run.exit_code, 0) << run.output << read_text_file(log);
  const Image im = read_image(png);
  EXPECT_EQ(im.width, width);
  EXPECT_EQ(im.height, height);
  size_t inked = 0;
  std::set<uint32_t> colors;
  for (size_t i = 0; i < im.rgb.size(); i += 3) {
    inked += im.rgb[i] < 200 || im.rgb[i + 1] < 200 || im.rgb[i + 2] < 200;
    colors.insert(uint32_t{im.rgb[i]} << 16 | uint32_t{im.rgb[i + 1]} << 8 | im.rgb[i + 2]);
  }
  EXPECT_GT(inked, im.rgb.size() / 3 / 50) << "under 2% of the page is drawn on";
  EXPECT_GT(colors.size(), 500u);
}

}  // namespace avr::browser
