// The study's report as one self-contained HTML file: findings first, then
// sections of tables, figures (inline SVG, PNG/JPEG as data URIs) and playable
// clean/adversarial audio pairs, then the run's configuration. It opens from
// disk with no network and runs no script (a Content-Security-Policy in the
// page forbids both), so it can be mailed or archived next to results.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "avr/report/findings.h"
#include "avr/report/table.h"

namespace avr {

// One panel of a figure: an inline SVG chart or a PNG/JPEG image, with an
// optional label under it ("clean", "PGD ✗V, ε=0.06").
struct FigurePanel {
  std::string label;
  std::string svg;             // a complete <svg>…</svg>, or empty
  std::vector<uint8_t> image;  // PNG or JPEG bytes when svg is empty
  std::string alt;             // text for screen readers; defaults to the label
};

class HtmlReport {
 public:
  explicit HtmlReport(std::string title, std::string subtitle = "");

  // The findings, shown first whatever the call order; once per report.
  void add_summary(const std::vector<Finding>& findings, const std::string& intro = "");
  // Starts a numbered section (listed in the contents); later parts go into it.
  void add_section(const std::string& title, const std::string& intro = "");
  void add_text(const std::string& paragraph);
  // A one-line status badge, e.g. a table's trust audit: status "passed" (green), "raised"
  // (red) or anything else (grey, e.g. "not run"), shown in words as `label`, then `text`.
  void add_badge(const std::string& status, const std::string& label, const std::string& text);
  // Tables and figures are numbered in order ("Table 2.", "Figure 3.").
  void add_table(const Table& table);
  void add_table(const std::string& caption, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::map<std::pair<size_t, size_t>, Emphasis>& highlight = {});
  void add_figure_svg(const std::string& caption, const std::string& svg);
  void add_figure_png(const std::string& caption, const std::vector<uint8_t>& png,
                      const std::string& alt = "");
  // Several panels side by side (wrapping on narrow screens) under one caption.
  void add_figure(const std::string& caption, const std::vector<FigurePanel>& panels);
  // Clean and adversarial WAV bytes as two players side by side, each with its
  // spectrogram (PNG) under it when given.
  void add_audio_pair(const std::string& caption, const std::vector<uint8_t>& clean_wav,
                      const std::vector<uint8_t>& adversarial_wav,
                      const std::vector<uint8_t>& clean_spectrogram_png = {},
                      const std::vector<uint8_t>& adversarial_spectrogram_png = {});
  // Pretty-printed JSON under a sub-heading of the current section.
  void add_config(const nlohmann::json& config, const std::string& title = "Configuration");

  std::string html() const;
  void write(const std::filesystem::path& path) const;  // atomic

  int figures() const { return figure_count_; }
  int tables() const { return table_count_; }

 private:
  struct Section {
    std::string title, id, intro, body;
  };
  std::string& body();
  std::string panel_html(const FigurePanel& panel) const;
  std::string unique_id(const std::string& text);

  std::string title_, subtitle_;
  bool has_summary_ = false;
  std::string summary_;
  std::string preamble_;  // parts added before the first section
  std::vector<Section> sections_;
  std::vector<std::string> ids_;
  int figure_count_ = 0, table_count_ = 0, audio_count_ = 0;
};

}  // namespace avr
