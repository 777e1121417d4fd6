#include "avr/report/html_report.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/report/markup.h"
#include "report_css.h"

namespace avr {
namespace {

// Everything the page needs comes inline: no fetch of any kind, no script.
constexpr const char* kCsp =
    "default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The <svg> element of a chart, without an XML prolog or doctype (not allowed
// inside HTML); rejects anything that is not an SVG or that carries script.
std::string inline_svg(const std::string& svg, const std::string& caption) {
  size_t b = svg.find_first_not_of(" \t\r\n");
  for (const char* skip : {"<?xml", "<!DOCTYPE"}) {
    if (b != std::string::npos && svg.compare(b, std::string(skip).size(), skip) == 0) {
      const size_t e = svg.find('>', b);
      b = e == std::string::npos ? e : svg.find_first_not_of(" \t\r\n", e + 1);
    }
  }
  const size_t e = svg.find_last_not_of(" \t\r\n");
  AVR_CHECK(b != std::string::npos && svg.compare(b, 4, "<svg") == 0 && e >= 5 &&
                svg.compare(e - 5, 6, "</svg>") == 0,
            "figure '", caption, "': expected a complete <svg>...</svg> document");
  const std::string body = svg.substr(b, e - b + 1);
  const std::string low = lower(body);
  AVR_CHECK(low.find("<script") == std::string::npos && low.find("javascript:") == std::string::npos,
            "figure '", caption, "': the SVG contains script; the report must stay script-free");
  return body;
}

std::string image_uri(const std::vector<uint8_t>& bytes, const std::string& what) {
  const std::string mime = sniff_mime(bytes);
  AVR_CHECK(mime == "image/png" || mime == "image/jpeg", what,
            ": expected PNG or JPEG bytes (", bytes.size(), " bytes with another signature)");
  return data_uri(mime, bytes);
}

std::string caption_html(const std::string& kind, int n, const std::string& caption) {
  return "<b>" + kind + " " + std::to_string(n) + ".</b> " + html_escape(caption);
}

}  // namespace

HtmlReport::HtmlReport(std::string title, std::string subtitle)
    : title_(std::move(title)), subtitle_(std::move(subtitle)) {
  AVR_CHECK(!title_.empty(), "a report needs a title");
}

std::string& HtmlReport::body() { return sections_.empty() ? preamble_ : sections_.back().body; }

std::string HtmlReport::unique_id(const std::string& text) {
  const std::string base = slugify(text);
  std::string id = base;
  for (int k = 2; std::find(ids_.begin(), ids_.end(), id) != ids_.end(); ++k)
    id = base + "-" + std::to_string(k);
  ids_.push_back(id);
  return id;
}

void HtmlReport::add_summary(const std::vector<Finding>& findings, const std::string& intro) {
  AVR_CHECK(!has_summary_, "report '", title_, "': add_summary was called twice");
  validate_findings(findings);
  has_summary_ = true;
  if (!intro.empty()) summary_ += "<p>" + html_escape(intro) + "</p>\n";
  summary_ += "<p class=\"tally\">" + html_escape(findings_tally(findings)) + ".</p>\n";
  summary_ += findings_html(findings);
}

void HtmlReport::add_section(const std::string& title, const std::string& intro) {
  AVR_CHECK(!title.empty(), "report '", title_, "': a section needs a title");
  sections_.push_back({title, unique_id("sec-" + title), intro, ""});
}

void HtmlReport::add_text(const std::string& paragraph) {
  body() += "<p>" + html_escape(paragraph) + "</p>\n";
}

void HtmlReport::add_badge(const std::string& status, const std::string& label, const std::string& text) {
  const std::string cls = status == "passed" || status == "raised" ? " " + status : "";
  body() += "<p class=\"badge" + cls + "\"><b>" + html_escape(label) + "</b>" + html_escape(text) + "</p>\n";
}

void HtmlReport::add_table(const Table& table) {
  table.validate();
  const int n = ++table_count_;
  body() += "<div class=\"table-wrap\" id=\"table-" + std::to_string(n) + "\">\n" +
            "<p class=\"table-caption\">" + caption_html("Table", n, table.caption) + "</p>\n" +
            table.to_html() + "</div>\n";
}

void HtmlReport::add_table(const std::string& caption, const std::vector<std::string>& columns,
                           const std::vector<std::vector<std::string>>& rows,
                           const std::map<std::pair<size_t, size_t>, Emphasis>& highlight) {
  Table t;
  t.caption = caption;
  t.columns = columns;
  t.rows = rows;
  t.emphasis = highlight;
  add_table(t);
}

std::string HtmlReport::panel_html(const FigurePanel& p) const {
  std::string out = "<div class=\"panel\">";
  if (!p.svg.empty()) {
    out += inline_svg(p.svg, p.label);
  } else {
    const std::string alt = p.alt.empty() ? p.label : p.alt;
    out += "<img alt=\"" + html_escape(alt) + "\" src=\"" + image_uri(p.image, "figure panel '" + p.label + "'") +
           "\">";
  }
  if (!p.label.empty()) out += "<div class=\"panel-label\">" + html_escape(p.label) + "</div>";
  return out + "</div>\n";
}

void HtmlReport::add_figure(const std::string& caption, const std::vector<FigurePanel>& panels) {
  AVR_CHECK(!panels.empty(), "figure '", caption, "' has no panels");
  std::string inner;
  for (const auto& p : panels) {
    AVR_CHECK(!p.svg.empty() || !p.image.empty(), "figure '", caption, "': panel '", p.label,
              "' has neither SVG nor image bytes");
    inner += panel_html(p);
  }
  const int n = ++figure_count_;
  body() += "<figure id=\"figure-" + std::to_string(n) + "\">\n<div class=\"panels\">\n" + inner +
            "</div>\n<figcaption>" + caption_html("Figure", n, caption) + "</figcaption>\n</figure>\n";
}

void HtmlReport::add_figure_svg(const std::string& caption, const std::string& svg) {
  FigurePanel p;
  p.svg = svg;
  add_figure(caption, {p});
}

void HtmlReport::add_figure_png(const std::string& caption, const std::vector<uint8_t>& png,
                                const std::string& alt) {
  FigurePanel p;
  p.image = png;
  p.alt = alt.empty() ? caption : alt;
  add_figure(caption, {p});
}

void HtmlReport::add_audio_pair(const std::string& caption, const std::vector<uint8_t>& clean_wav,
                                const std::vector<uint8_t>& adversarial_wav,
                                const std::vector<uint8_t>& clean_spectrogram_png,
                                const std::vector<uint8_t>& adversarial_spectrogram_png) {
  auto item = [&](const char* label, const std::vector<uint8_t>& wav,
                  const std::vector<uint8_t>& png) {
    AVR_CHECK(sniff_mime(wav) == "audio/wav", "audio pair '", caption, "': the ", label,
              " audio is not WAV bytes (expected a RIFF/WAVE header; see encode_wav)");
    std::string out = "<div class=\"audio-item\"><div class=\"panel-label\">" + std::string(label) +
                      "</div>\n<audio controls preload=\"metadata\" src=\"" +
                      data_uri("audio/wav", wav) + "\">This browser cannot play WAV.</audio>\n";
    if (!png.empty())
      out += "<img alt=\"spectrogram of the " + std::string(label) + " audio\" src=\"" +
             image_uri(png, "audio pair '" + caption + "' spectrogram") + "\">\n";
    return out + "</div>\n";
  };
  const std::string clean = item("clean", clean_wav, clean_spectrogram_png);
  const std::string adv = item("adversarial", adversarial_wav, adversarial_spectrogram_png);
  const int n = ++audio_count_;
  body() += "<figure class=\"audio\" id=\"audio-" + std::to_string(n) +
            "\">\n<div class=\"audio-pair\">\n" + clean + adv + "</div>\n<figcaption>" +
            caption_html("Audio", n, caption) + "</figcaption>\n</figure>\n";
}

void HtmlReport::add_config(const nlohmann::json& config, const std::string& title) {
  body() += "<h3>" + html_escape(title) + "</h3>\n<details open><summary>JSON</summary><pre>" +
            html_escape(config.dump(2)) + "</pre></details>\n";
}

std::string HtmlReport::html() const {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + std::string(kCsp) + "\">\n";
  out += "<meta name=\"generator\" content=\"avr " AVR_VERSION_STRING "\">\n";
  out += "<title>" + html_escape(title_) + "</title>\n<style>" + detail::kReportCss +
         "</style>\n</head>\n<body>\n<main>\n";
  out += "<header>\n<h1>" + html_escape(title_) + "</h1>\n";
  if (!subtitle_.empty()) out += "<p class=\"subtitle\">" + html_escape(subtitle_) + "</p>\n";
  out += "</header>\n";
  if (has_summary_ || !sections_.empty()) {
    // Numbers are written out so they match the section headings (the summary has none).
    out += "<nav class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n";
    if (has_summary_) out += "<li><a href=\"#summary\">Summary of findings</a></li>\n";
    for (size_t i = 0; i < sections_.size(); ++i)
      out += "<li><a href=\"#" + sections_[i].id + "\">" + std::to_string(i + 1) + ". " +
             html_escape(sections_[i].title) + "</a></li>\n";
    out += "</ul>\n</nav>\n";
  }
  if (has_summary_)
    out += "<section id=\"summary\">\n<h2>Summary of findings</h2>\n" + summary_ + "</section>\n";
  out += preamble_;
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    out += "<section id=\"" + s.id + "\">\n<h2>" + std::to_string(i + 1) + ". " +
           html_escape(s.title) + "</h2>\n";
    if (!s.intro.empty()) out += "<p>" + html_escape(s.intro) + "</p>\n";
    out += s.body + "</section>\n";
  }
  return out + "</main>\n</body>\n</html>\n";
}

void HtmlReport::write(const std::filesystem::path& path) const { write_file_atomic(path, html()); }

}  // namespace avr
