#include "dataset_flags.h"

#include <nlohmann/json.hpp>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr::cli {

std::string default_preset(const DatasetSpec& spec) {
  if (spec.name == "music" || spec.name == "kinetics" || spec.name == "ave") return spec.name;
  const auto manifest = spec.root / "manifest.json";
  if (!spec.root.empty() && std::filesystem::exists(manifest)) {
    nlohmann::json m;
    try {
      m = nlohmann::json::parse(read_text_file(manifest));
    } catch (const nlohmann::json::exception& e) {
      AVR_FAIL("dataset manifest ", manifest, " is malformed: ", e.what(),
               " (regenerate the dataset with `avr synth`)");
    }
    if (m.contains("profile") && m["profile"].is_string())
      return "embedded-" + m["profile"].get<std::string>();
  }
  return "embedded-default";
}

}  // namespace avr::cli
