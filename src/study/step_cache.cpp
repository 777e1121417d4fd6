#include "avr/study/step_cache.h"

#include <chrono>
#include <fstream>
#include <iostream>
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

namespace {

// The digest a record stores: of its canonical text (sorted keys, no spaces)
// without the digest itself.
std::string record_digest(nlohmann::json record) {
  record.erase("sha256");
  return sha256_hex(record.dump());
}

}  // namespace

std::optional<nlohmann::json> StepCache::find(const std::string& name,
                                              const nlohmann::json& config) const {
  const auto path = record_path(name);
  if (!std::filesystem::exists(path)) return std::nullopt;
  auto recompute = [&](const std::string& why) -> std::optional<nlohmann::json> {
    std::cerr << "study: recomputing step " << name << ": its record " << path << " " << why << "\n";
    return std::nullopt;
  };
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    return recompute(std::string("is damaged or truncated (not valid JSON: ") + e.what() + ")");
  } catch (const Error& e) {
    return recompute(std::string("cannot be read (") + e.what() + ")");
  }
  if (!record.is_object()) return recompute("is damaged (not a JSON object)");
  if (record.contains("sha256")) {
    std::string digest;
    try {
      digest = record_digest(record);
    } catch (const nlohmann::json::exception& e) {  // e.g. a string that is no UTF-8
      return recompute(std::string("is damaged (") + e.what() + ")");
    }
    if (record["sha256"] != digest)
      return recompute("is damaged (its contents do not match the SHA-256 stored when it was written)");
  } else if (record.contains("key") && record["key"] == key(config) && record.contains("result")) {
    std::cerr << "study: step " << name << ": record " << path << " has no digest (written by an "
              << "older avr), so it cannot be checked; using it\n";
  }
  // Anything but {"key": "<this key>", "result": ...} is recomputed: another
  // config's record is replaced without a word.
  if (!record.contains("key") || record["key"] != key(config) || !record.contains("result"))
    return std::nullopt;
  return record["result"];
}

double StepCache::seconds(const std::string& name) const {
  const auto path = record_path(name);
  try {
    return nlohmann::json::parse(read_text_file(path)).at("seconds").get<double>();
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("step record ", path, " has no readable time (", e.what(), "); delete it to recompute the step");
  }
}

void StepCache::store(const std::string& name, const nlohmann::json& config,
                      const nlohmann::json& result, double seconds) const {
  nlohmann::json record = {{"step", name},       {"key", key(config)}, {"config", config},
                           {"seconds", seconds}, {"result", result}};
  record["sha256"] = record_digest(record);
  write_file_atomic(record_path(name), record.dump(2) + "\n");
}

nlohmann::json StepCache::file_digests(const std::vector<std::filesystem::path>& files) {
  nlohmann::json d = nlohmann::json::object();
  for (const auto& f : files) d[f.string()] = sha256_file(f);
  return d;
}

std::string StepCache::files_problem(const nlohmann::json& digests) {
  if (!digests.is_object()) return "its list of files is damaged";
  for (const auto& [file, digest] : digests.items()) {
    if (!std::filesystem::is_regular_file(file)) return "its file " + file + " is missing";
    if (!digest.is_string() || sha256_file(file) != digest.get<std::string>())
      return "its file " + file + " does not match the SHA-256 stored when it was written";
  }
  return "";
}

std::optional<nlohmann::json> StepCache::find_checked(const std::string& name, const nlohmann::json& config,
                                                      const Check& check) const {
  auto hit = find(name, config);
  if (!hit || !check) return hit;
  const std::string problem = check(*hit);
  if (problem.empty()) return hit;
  std::cerr << "study: recomputing step " << name << ": " << problem << "\n";
  return std::nullopt;
}

nlohmann::json StepCache::run_and_store(const std::string& name, const nlohmann::json& config,
                                        const std::function<nlohmann::json()>& compute) const {
  const auto start = std::chrono::steady_clock::now();
  auto result = compute();
  store(name, config, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

nlohmann::json StepCache::get_or_run(const std::string& name, const nlohmann::json& config,
                                     const std::function<nlohmann::json()>& compute, bool* ran,
                                     const Check& check) const {
  auto hit = find_checked(name, config, check);
  if (ran) *ran = !hit;
  return hit ? std::move(*hit) : run_and_store(name, config, compute);
}

}  // namespace avr
