// A results table held once and rendered three ways — Markdown for reading in
// a terminal, CSV for other tools, HTML for the report — so the numbers in
// all three can never disagree.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace avr {

// How a cell is marked in Markdown/HTML (CSV carries values only). The paper's
// defense tables highlight the top-2 results: best bold, second underlined.
enum class Emphasis { none, best, second };

struct Table {
  std::string caption;  // says what was run: dataset, attack, eps, models
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // cells are already formatted text
  std::map<std::pair<size_t, size_t>, Emphasis> emphasis;  // (row, column) → mark

  // Appends a row; throws avr::Error when its width differs from columns.
  void add_row(std::vector<std::string> row);
  void emphasize(size_t row, size_t column, Emphasis e);
  // Marks the best (and, with k = 2, second-best) distinct value of a numeric
  // column; ties share the mark; cells that are not numbers are ignored.
  void emphasize_top(size_t column, int k = 2, bool higher_is_better = true);

  // Throws avr::Error naming the table and the row that does not fit.
  void validate() const;
  // A column is numeric when every non-empty cell parses as a number (a trailing
  // % allowed); such columns are right-aligned.
  bool numeric_column(size_t column) const;

  std::string to_markdown() const;  // caption in italics, then a GitHub-style table
  std::string to_csv() const;       // RFC 4180 quoting, header row, LF line ends
  std::string to_html() const;      // a bare <table>; HtmlReport adds number and caption
  nlohmann::json to_json() const;
  static Table from_json(const nlohmann::json& j);
};

// "81.25" for (81.2456, 2); "n/a" for a non-finite value, so a missing result
// is visible instead of printed as a number.
std::string format_number(double value, int decimals);

// Writes <stem>.csv and <stem>.md atomically.
void write_table_files(const std::filesystem::path& stem, const Table& table);

}  // namespace avr
