// The study's steps cached by their config: a step's record holds the SHA-256
// of the config it ran with and its result. A re-run skips a step whose config
// is unchanged, and recomputes one whose config (or an upstream step's key,
// which the config includes) changed. Records are written atomically after
// the step finishes, so a killed run leaves either the old record or none.
// Each record carries the SHA-256 of its own contents ("sha256", of the
// record's canonical JSON text without that field), stored when it was written:
// a damaged or truncated record is reported on stderr and recomputed, never
// used. A record without a digest (written before avr kept them) is used,
// with a note on stderr that it could not be checked.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avr {

class StepCache {
 public:
  explicit StepCache(std::filesystem::path dir);

  // The key of a config: SHA-256 of its canonical JSON text.
  static std::string key(const nlohmann::json& config);

  // The stored result when a record of `name` exists with this config's key
  // and its digest holds.
  std::optional<nlohmann::json> find(const std::string& name, const nlohmann::json& config) const;
  void store(const std::string& name, const nlohmann::json& config, const nlohmann::json& result,
             double seconds) const;

  // find(), then `check` (when given) looks at the stored result and says what is
  // wrong with what it refers to ("" when nothing): such a result is not returned,
  // and why it will be recomputed is said on stderr.
  using Check = std::function<std::string(const nlohmann::json&)>;
  std::optional<nlohmann::json> find_checked(const std::string& name, const nlohmann::json& config,
                                             const Check& check) const;
  // Runs `compute` and stores its result with the seconds it took.
  nlohmann::json run_and_store(const std::string& name, const nlohmann::json& config,
                               const std::function<nlohmann::json()>& compute) const;

  // find_checked(), or run_and_store(). `ran` (when given) says which.
  nlohmann::json get_or_run(const std::string& name, const nlohmann::json& config,
                            const std::function<nlohmann::json()>& compute, bool* ran = nullptr,
                            const Check& check = {}) const;

  // For steps whose result names files a later step reads back (figures, the
  // examples the report embeds): {"<path>": "<SHA-256>"} to keep in the
  // result, and the check that they are all still there and unchanged.
  static nlohmann::json file_digests(const std::vector<std::filesystem::path>& files);
  static std::string files_problem(const nlohmann::json& digests);

  std::filesystem::path record_path(const std::string& name) const;
  // The seconds the step took when it was computed, from its record (for the study's
  // timings); throws naming the record when it cannot be read.
  double seconds(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace avr
