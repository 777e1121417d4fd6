// A finding: one claim of the paper (e.g. "audio-visual integration does not
// always strengthen robustness", §4.2) and whether this run's numbers support
// it. Deciding `holds` is the study's job; this file stores and renders.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace avr {

struct Finding {
  std::string id;         // short and stable ("F1", "minsim-helps"): used as an anchor
  std::string statement;  // the claim, one sentence
  bool holds = false;     // whether this run's numbers support it
  std::string evidence;   // the deciding numbers, with what was compared
};

// Throws avr::Error naming the finding when id or statement is empty, or an id
// repeats (ids become page anchors).
void validate_findings(const std::vector<Finding>& findings);

// "2 of 3 findings hold".
std::string findings_tally(const std::vector<Finding>& findings);
// A Markdown list: "- **F1** (holds): statement — evidence".
std::string findings_markdown(const std::vector<Finding>& findings);
// An <ol> of findings with a verdict badge that says holds/does not hold in
// words (not color alone); the caller places it in the page.
std::string findings_html(const std::vector<Finding>& findings);

void to_json(nlohmann::json& j, const Finding& f);
void from_json(const nlohmann::json& j, Finding& f);

}  // namespace avr
