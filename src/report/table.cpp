#include "avr/report/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/report/markup.h"

namespace avr {
namespace {

std::optional<double> parse_number(const std::string& cell) {
  std::string s = cell;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (!s.empty() && s.back() == '%') s.pop_back();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string csv_field(const std::string& s) {
  const bool quote = s.find_first_of(",\"\n\r") != std::string::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const char* emphasis_name(Emphasis e) {
  return e == Emphasis::best ? "best" : e == Emphasis::second ? "second" : "none";
}

}  // namespace

void Table::add_row(std::vector<std::string> row) {
  AVR_CHECK(row.size() == columns.size(), "table '", caption, "': row ", rows.size() + 1, " has ",
            row.size(), " cells but the table has ", columns.size(), " columns");
  rows.push_back(std::move(row));
}

void Table::emphasize(size_t row, size_t column, Emphasis e) {
  AVR_CHECK(row < rows.size() && column < columns.size(), "table '", caption,
            "': cannot emphasize cell (", row, ", ", column, ") of a ", rows.size(), "x",
            columns.size(), " table");
  if (e == Emphasis::none) emphasis.erase({row, column});
  else emphasis[{row, column}] = e;
}

void Table::emphasize_top(size_t column, int k, bool higher_is_better) {
  AVR_CHECK(column < columns.size(), "table '", caption, "': no column ", column);
  AVR_CHECK(k == 1 || k == 2, "table '", caption, "': emphasize_top supports k = 1 or 2, got ", k);
  std::set<double> distinct;
  for (const auto& r : rows)
    if (auto v = parse_number(r[column])) distinct.insert(*v);
  if (distinct.empty()) return;
  std::vector<double> ranked(distinct.begin(), distinct.end());
  if (higher_is_better) std::reverse(ranked.begin(), ranked.end());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto v = parse_number(rows[i][column]);
    if (!v) continue;
    if (*v == ranked[0]) emphasize(i, column, Emphasis::best);
    else if (k == 2 && ranked.size() > 1 && *v == ranked[1]) emphasize(i, column, Emphasis::second);
  }
}

void Table::validate() const {
  AVR_CHECK(!columns.empty(), "table '", caption, "' has no columns");
  for (size_t i = 0; i < rows.size(); ++i)
    AVR_CHECK(rows[i].size() == columns.size(), "table '", caption, "': row ", i + 1, " has ",
              rows[i].size(), " cells but the table has ", columns.size(), " columns");
  for (const auto& [cell, e] : emphasis)
    AVR_CHECK(cell.first < rows.size() && cell.second < columns.size(), "table '", caption,
              "': emphasis on cell (", cell.first, ", ", cell.second, ") outside the table");
}

bool Table::numeric_column(size_t column) const {
  bool any = false;
  for (const auto& r : rows) {
    if (r[column].empty() || r[column] == "n/a") continue;
    if (!parse_number(r[column])) return false;
    any = true;
  }
  return any;
}

std::string Table::to_markdown() const {
  validate();
  std::string out;
  if (!caption.empty()) out += "*" + md_cell(caption) + "*\n\n";
  out += "|";
  for (const auto& c : columns) out += " " + md_cell(c) + " |";
  out += "\n|";
  for (size_t j = 0; j < columns.size(); ++j) out += numeric_column(j) ? " ---: |" : " --- |";
  out += "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    out += "|";
    for (size_t j = 0; j < columns.size(); ++j) {
      auto it = emphasis.find({i, j});
      const Emphasis e = it == emphasis.end() ? Emphasis::none : it->second;
      const std::string v = md_cell(rows[i][j]);
      const bool marked = e != Emphasis::none && !v.empty();
      out += " " + (marked ? (e == Emphasis::best ? "**" + v + "**" : "_" + v + "_") : v) + " |";
    }
    out += "\n";
  }
  return out;
}

std::string Table::to_csv() const {
  validate();
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t j = 0; j < cells.size(); ++j) out += (j ? "," : "") + csv_field(cells[j]);
    out += "\n";
  };
  line(columns);
  for (const auto& r : rows) line(r);
  return out;
}

std::string Table::to_html() const {
  validate();
  std::vector<bool> numeric(columns.size());
  for (size_t j = 0; j < columns.size(); ++j) numeric[j] = numeric_column(j);
  const bool row_headers = !numeric[0];
  std::string out = "<table>\n<thead><tr>";
  for (size_t j = 0; j < columns.size(); ++j)
    out += std::string("<th scope=\"col\"") + (numeric[j] ? " class=\"num\"" : "") + ">" +
           html_escape(columns[j]) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    out += "<tr>";
    for (size_t j = 0; j < columns.size(); ++j) {
      auto it = emphasis.find({i, j});
      const Emphasis e = it == emphasis.end() ? Emphasis::none : it->second;
      std::string cls = numeric[j] ? "num" : "";
      if (e != Emphasis::none) cls += std::string(cls.empty() ? "" : " ") + emphasis_name(e);
      const char* tag = j == 0 && row_headers ? "th" : "td";
      out += std::string("<") + tag + (j == 0 && row_headers ? " scope=\"row\"" : "") +
             (cls.empty() ? "" : " class=\"" + cls + "\"") + ">";
      const std::string v = html_escape(rows[i][j]);
      out += e == Emphasis::best ? "<strong>" + v + "</strong>"
             : e == Emphasis::second ? "<u>" + v + "</u>" : v;
      out += std::string("</") + tag + ">";
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

nlohmann::json Table::to_json() const {
  nlohmann::json marks = nlohmann::json::array();
  for (const auto& [cell, e] : emphasis)
    marks.push_back({{"row", cell.first}, {"column", cell.second}, {"mark", emphasis_name(e)}});
  return {{"caption", caption}, {"columns", columns}, {"rows", rows}, {"emphasis", marks}};
}

Table Table::from_json(const nlohmann::json& j) {
  Table t;
  try {
    t.caption = j.at("caption").get<std::string>();
    t.columns = j.at("columns").get<std::vector<std::string>>();
    t.rows = j.at("rows").get<std::vector<std::vector<std::string>>>();
    for (const auto& m : j.value("emphasis", nlohmann::json::array())) {
      const std::string mark = m.at("mark").get<std::string>();
      AVR_CHECK(mark == "best" || mark == "second", "table JSON: emphasis mark must be 'best' or "
                "'second', got '", mark, "'");
      t.emphasis[{m.at("row").get<size_t>(), m.at("column").get<size_t>()}] =
          mark == "best" ? Emphasis::best : Emphasis::second;
    }
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("table JSON is malformed (", e.what(), "); expected caption, columns, rows");
  }
  t.validate();
  return t;
}

std::string format_number(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), value);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.00"
  return s;
}

void write_table_files(const std::filesystem::path& stem, const Table& table) {
  write_file_atomic(stem.string() + ".csv", table.to_csv());
  write_file_atomic(stem.string() + ".md", table.to_markdown());
}

}  // namespace avr
