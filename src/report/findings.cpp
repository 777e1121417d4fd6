#include "avr/report/findings.h"

#include <nlohmann/json.hpp>
#include <set>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/report/markup.h"

namespace avr {

void validate_findings(const std::vector<Finding>& findings) {
  std::set<std::string> ids;
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    AVR_CHECK(!f.id.empty(), "finding ", i + 1, " ('", f.statement, "') has no id");
    AVR_CHECK(!f.statement.empty(), "finding '", f.id, "' has no statement");
    AVR_CHECK(ids.insert(f.id).second, "finding id '", f.id, "' is used twice; ids must be unique");
  }
}

std::string findings_tally(const std::vector<Finding>& findings) {
  size_t holds = 0;
  for (const auto& f : findings) holds += f.holds;
  return std::to_string(holds) + " of " + std::to_string(findings.size()) +
         (findings.size() == 1 ? " finding holds" : " findings hold");
}

std::string findings_markdown(const std::vector<Finding>& findings) {
  validate_findings(findings);
  std::string out;
  for (const auto& f : findings) {
    out += "- **" + f.id + "** (" + (f.holds ? "holds" : "does not hold") + "): " + f.statement;
    if (!f.evidence.empty()) out += " — " + f.evidence;
    out += "\n";
  }
  return out;
}

std::string findings_html(const std::vector<Finding>& findings) {
  validate_findings(findings);
  std::string out = "<ol class=\"findings\">\n";
  for (const auto& f : findings) {
    const char* cls = f.holds ? "holds" : "fails";
    out += "<li class=\"finding " + std::string(cls) + "\" id=\"finding-" + slugify(f.id) + "\">";
    out += "<div class=\"verdict\">" + std::string(f.holds ? "&#10003; holds" : "&#10007; does not hold") +
           "</div>";
    out += "<div class=\"claim\"><span class=\"fid\">" + html_escape(f.id) + "</span> " +
           html_escape(f.statement) + "</div>";
    if (!f.evidence.empty()) out += "<div class=\"evidence\">" + html_escape(f.evidence) + "</div>";
    out += "</li>\n";
  }
  return out + "</ol>\n";
}

void to_json(nlohmann::json& j, const Finding& f) {
  j = {{"id", f.id}, {"statement", f.statement}, {"holds", f.holds}, {"evidence", f.evidence}};
}

void from_json(const nlohmann::json& j, Finding& f) {
  Finding out;
  JsonFields r(j, "finding");
  r.require("id", out.id);
  r.require("statement", out.statement);
  r.require("holds", out.holds);
  r.read("evidence", out.evidence);
  r.finish();
  f = out;
}

}  // namespace avr
