#include "avr/report/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "markup_check.h"
#include "test_support.h"

namespace avr {
namespace {

Table defense_table() {
  Table t;
  t.caption = "Defenses vs FGSM (ε = 0.06)";
  t.columns = {"Method", "Clean", "✗AV"};
  t.add_row({"Baseline", "81.2", "12.5"});
  t.add_row({"MinSim", "80.1", "44.0"});
  t.add_row({"ExFMem | MinSim", "78.9", "44.0"});
  t.add_row({"Unimodal A", "65.0", "n/a"});
  return t;
}

TEST(Table, MarkdownEscapesPipesRightAlignsNumbersAndMarksEmphasis) {
  Table t = defense_table();
  t.emphasize_top(1);
  t.emphasize_top(2);
  const std::string md = t.to_markdown();
  EXPECT_EQ(md,
            "*Defenses vs FGSM (ε = 0.06)*\n\n"
            "| Method | Clean | ✗AV |\n"
            "| --- | ---: | ---: |\n"
            "| Baseline | **81.2** | _12.5_ |\n"
            "| MinSim | _80.1_ | **44.0** |\n"
            "| ExFMem \\| MinSim | 78.9 | **44.0** |\n"
            "| Unimodal A | 65.0 | n/a |\n");
}

TEST(Table, EmphasizeTopSharesTiesAndHonoursDirection) {
  Table t = defense_table();
  t.emphasize_top(2, 2, true);
  EXPECT_EQ(t.emphasis.at({1, 2}), Emphasis::best);
  EXPECT_EQ(t.emphasis.at({2, 2}), Emphasis::best);
  EXPECT_EQ(t.emphasis.at({0, 2}), Emphasis::second);
  EXPECT_EQ(t.emphasis.count({3, 2}), 0u) << "n/a is not a number";
  Table lower = defense_table();
  lower.emphasize_top(1, 1, false);
  EXPECT_EQ(lower.emphasis.size(), 1u);
  EXPECT_EQ(lower.emphasis.at({3, 1}), Emphasis::best);
  EXPECT_THROW(lower.emphasize_top(1, 3), Error);
}

TEST(Table, CsvQuotesOnlyWhatNeedsQuoting) {
  Table t;
  t.columns = {"name", "value"};
  t.add_row({"plain", "1.5"});
  t.add_row({"a,b", "say \"hi\""});
  t.add_row({"two\nlines", " padded"});
  EXPECT_EQ(t.to_csv(),
            "name,value\n"
            "plain,1.5\n"
            "\"a,b\",\"say \"\"hi\"\"\"\n"
            "\"two\nlines\",\" padded\"\n");
}

TEST(Table, HtmlEscapesCellsAndMarksNumericAndEmphasizedCells) {
  Table t = defense_table();
  t.rows[0][0] = "<b>Baseline</b>";
  t.emphasize(1, 2, Emphasis::best);
  t.emphasize(0, 1, Emphasis::second);
  const std::string html = t.to_html();
  const auto check = test::check_markup(html, true);
  ASSERT_EQ(check.error, "");
  EXPECT_EQ(check.elements.at("tr"), 5);
  EXPECT_NE(html.find("<th scope=\"row\">&lt;b&gt;Baseline&lt;/b&gt;</th>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num best\"><strong>44.0</strong></td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num second\"><u>81.2</u></td>"), std::string::npos);
  EXPECT_NE(html.find("<th scope=\"col\" class=\"num\">Clean</th>"), std::string::npos);
}

TEST(Table, RowsOfTheWrongWidthAreRejectedWithTheTableNamed) {
  Table t = defense_table();
  try {
    t.add_row({"only one"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Defenses vs FGSM"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 5"), std::string::npos) << e.what();
  }
  t.rows.push_back({"sneaked in"});
  EXPECT_THROW(t.to_csv(), Error);
  EXPECT_THROW(t.emphasize(9, 0, Emphasis::best), Error);
}

TEST(Table, JsonRoundTripKeepsEverything) {
  Table t = defense_table();
  t.emphasize_top(2);
  const Table back = Table::from_json(nlohmann::json::parse(t.to_json().dump()));
  EXPECT_EQ(back.caption, t.caption);
  EXPECT_EQ(back.columns, t.columns);
  EXPECT_EQ(back.rows, t.rows);
  EXPECT_EQ(back.emphasis, t.emphasis);
  EXPECT_EQ(back.to_markdown(), t.to_markdown());
  EXPECT_THROW(Table::from_json(nlohmann::json{{"caption", "x"}}), Error);
}

TEST(Table, FormatNumberShowsMissingValuesAsNa) {
  EXPECT_EQ(format_number(81.2456, 2), "81.25");
  EXPECT_EQ(format_number(std::nan(""), 2), "n/a");
  EXPECT_EQ(format_number(-0.001, 2), "0.00");
  EXPECT_EQ(format_number(-1.5, 1), "-1.5");
}

TEST(Table, WriteTableFilesWritesCsvAndMarkdown) {
  test::TempDir dir;
  const Table t = defense_table();
  write_table_files(dir / "tables/defenses", t);
  EXPECT_EQ(read_text_file(dir / "tables/defenses.csv"), t.to_csv());
  EXPECT_EQ(read_text_file(dir / "tables/defenses.md"), t.to_markdown());
}

}  // namespace
}  // namespace avr
