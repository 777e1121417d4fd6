#include "avr/layout/split_csv.h"

#include <sstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string first_component(const std::string& p) {
  size_t b = p.find_first_not_of('/');
  if (b == std::string::npos) return "";
  const size_t e = p.find('/', b);
  return e == std::string::npos ? "" : p.substr(b, e - b);
}

}  // namespace

std::string SplitRow::label() const { return first_component(audio); }

std::vector<SplitRow> read_split_csv(const std::filesystem::path& path) {
  require_file(path, "split file");
  std::string text = read_text_file(path);
  // Spreadsheet programs save UTF-8 CSVs with a byte-order mark; it is not part of
  // the first class name.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  std::istringstream in(text);
  std::vector<SplitRow> rows;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, ',')) f.push_back(trim(field));
    if (!line.empty() && line.back() == ',') f.push_back("");
    const std::string where = path.string() + ":" + std::to_string(lineno);
    AVR_CHECK(f.size() == 3, where, ": expected 3 fields `/class/id.wav,/class/id.mp4,frame_count`, got ",
              f.size(), " in '", line, "'");
    SplitRow r;
    r.audio = f[0];
    r.frames = f[1];
    AVR_CHECK(!r.audio.empty() && !r.frames.empty(), where, ": empty path in '", line, "'");
    try {
      size_t used = 0;
      r.frame_count = std::stoll(f[2], &used);
      AVR_CHECK(used == f[2].size(), "");
    } catch (...) {
      AVR_FAIL(where, ": frame count '", f[2], "' is not a whole number");
    }
    AVR_CHECK(r.frame_count > 0, where, ": frame count must be positive, got ", r.frame_count);
    AVR_CHECK(!r.label().empty(), where, ": audio path '", r.audio,
              "' has no class folder (expected /class/id.wav)");
    AVR_CHECK(first_component(r.frames) == r.label(), where, ": audio class '", r.label(),
              "' and frames class '", first_component(r.frames), "' differ");
    rows.push_back(std::move(r));
  }
  AVR_CHECK(!rows.empty(), "split file ", path, " has no rows");
  return rows;
}

void write_split_csv(const std::filesystem::path& path, const std::vector<SplitRow>& rows) {
  std::ostringstream out;
  for (const auto& r : rows) out << r.audio << ',' << r.frames << ',' << r.frame_count << '\n';
  write_file_atomic(path, out.str());
}

}  // namespace avr
