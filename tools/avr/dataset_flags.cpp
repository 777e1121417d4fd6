#include "dataset_flags.h"

#include <nlohmann/json.hpp>

#include "avr/core/fs.h"

namespace avr::cli {

std::string default_preset(const DatasetSpec& spec) {
  if (spec.name == "music" || spec.name == "kinetics" || spec.name == "ave") return spec.name;
  const auto manifest = spec.root / "manifest.json";
  if (!spec.root.empty() && std::filesystem::exists(manifest)) {
    const auto m = nlohmann::json::parse(read_text_file(manifest));
    if (m.contains("profile") && m["profile"].is_string())
      return "embedded-" + m["profile"].get<std::string>();
  }
  return "embedded-default";
}

}  // namespace avr::cli
