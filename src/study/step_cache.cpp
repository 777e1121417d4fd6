#include "avr/study/step_cache.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"

namespace avr {

StepCache::StepCache(std::filesystem::path dir) : dir_(std::move(dir)) { ensure_dir(dir_); }

std::string StepCache::key(const nlohmann::json& config) { return sha256_hex(config.dump()); }

std::filesystem::path StepCache::record_path(const std::string& name) const {
  for (char ch : name)
    AVR_ASSERT(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.',
               "step name '", name, "' is not a safe file name");
  return dir_ / (name + ".json");
}

std::optional<nlohmann::json> StepCache::find(const std::string& name,
                                              const nlohmann::json& config) const {
  const auto path = record_path(name);
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  nlohmann::json record;
  try {
    in >> record;
  } catch (const nlohmann::json::exception&) {
    // A record is written atomically, so a broken one was edited by hand:
    // recompute rather than trust it.
    return std::nullopt;
  }
  // Anything but {"key": "<this key>", "result": ...} is recomputed too.
  if (!record.is_object() || !record.contains("key") || record["key"] != key(config) ||
      !record.contains("result"))
    return std::nullopt;
  return record["result"];
}

void StepCache::store(const std::string& name, const nlohmann::json& config,
                      const nlohmann::json& result, double seconds) const {
  nlohmann::json record = {{"step", name},       {"key", key(config)}, {"config", config},
                           {"seconds", seconds}, {"result", result}};
  write_file_atomic(record_path(name), record.dump(2) + "\n");
}

nlohmann::json StepCache::get_or_run(const std::string& name, const nlohmann::json& config,
                                     const std::function<nlohmann::json()>& compute,
                                     bool* ran) const {
  if (auto hit = find(name, config)) {
    if (ran) *ran = false;
    return *hit;
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = compute();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  store(name, config, result, seconds);
  if (ran) *ran = true;
  return result;
}

}  // namespace avr
