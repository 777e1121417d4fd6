// The study's steps cached by their config: a step's record holds the SHA-256
// of the config it ran with and its result. A re-run skips a step whose config
// is unchanged, and recomputes one whose config (or an upstream step's key,
// which the config includes) changed. Records are written atomically after
// the step finishes, so a killed run leaves either the old record or none.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace avr {

class StepCache {
 public:
  explicit StepCache(std::filesystem::path dir);

  // The key of a config: SHA-256 of its canonical JSON text.
  static std::string key(const nlohmann::json& config);

  // The stored result when a record of `name` exists with this config's key.
  std::optional<nlohmann::json> find(const std::string& name, const nlohmann::json& config) const;
  void store(const std::string& name, const nlohmann::json& config, const nlohmann::json& result,
             double seconds) const;

  // find(), or run `compute` and store its result. `ran` (when given) says which.
  nlohmann::json get_or_run(const std::string& name, const nlohmann::json& config,
                            const std::function<nlohmann::json()>& compute, bool* ran = nullptr) const;

  std::filesystem::path record_path(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace avr
