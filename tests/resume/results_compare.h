// Comparing two smoke studies' results.json (tests/resume): what may differ
// between two runs of the same study is left out, everything else must be equal.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avr::test {

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  nlohmann::json j;
  in >> j;
  return j;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

namespace detail {

inline void strip(nlohmann::json& j, const std::string& out) {
  static const std::vector<std::string> timing = {"seconds", "seconds_per_1000", "train_seconds",
                                                  "clips_per_second"};
  auto replace = [&](std::string s) {
    for (size_t p = s.find(out); p != std::string::npos; p = s.find(out, p)) s.replace(p, out.size(), "<out>");
    return s;
  };
  if (j.is_object()) {
    nlohmann::json copy = nlohmann::json::object();
    for (auto& [k, v] : j.items()) {
      if (std::find(timing.begin(), timing.end(), k) != timing.end()) continue;
      strip(v, out);
      copy[replace(k)] = v;
    }
    j = copy;
  } else if (j.is_array()) {
    for (auto& v : j) strip(v, out);
  } else if (j.is_string()) {
    j = replace(j.get<std::string>());
  }
}

}  // namespace detail

// results.json of a study written to `out`, without what differs between two runs:
//  - top-level "timings", "seconds_this_run" and each step's time: wall-clock;
//  - top-level "steps" (which steps this invocation computed or reused): a resumed
//    run reuses what its killed predecessors finished, by design;
//  - "seconds", "seconds_per_1000", "train_seconds", "clips_per_second" anywhere
//    (the attack reports' and localization's times, the ExFMem solver's speed, the
//    models' training speed) and the ExFMem solver table's "s per 1000" column: wall-clock;
//  - the output folder in every path (checkpoints, figures, the dataset's roots,
//    the examples' file names), replaced by "<out>": the two runs write to two folders.
// Everything else — the config, dataset digests, runtime, every table, score,
// per-clip result, weights digest, file digest and finding — is kept.
inline nlohmann::json comparable(nlohmann::json results, const std::filesystem::path& out) {
  for (const char* k : {"timings", "seconds_this_run", "steps"}) results.erase(k);
  if (results.contains("tables"))
    for (auto& [name, table] : results["tables"].items()) {
      if (!table.contains("columns")) continue;
      const auto& cols = table["columns"];
      for (size_t c = cols.size(); c-- > 0;)
        if (cols[c] == "s per 1000") {
          table["columns"].erase(c);
          for (auto& row : table["rows"]) row.erase(c);
        }
    }
  detail::strip(results, out.string());
  return results;
}

// Where `a` (the reference run, called `a_name`) and `b` (`b_name`) differ, as
// JSON pointers with both values (at most `limit`).
inline void differences(const nlohmann::json& a, const nlohmann::json& b, const std::string& at,
                        std::vector<std::string>& found, const std::string& a_name = "uninterrupted",
                        const std::string& b_name = "resumed", size_t limit = 30) {
  if (found.size() >= limit || a == b) return;
  if (a.is_object() && b.is_object()) {
    for (auto& [k, v] : a.items())
      if (!b.contains(k)) found.push_back(at + "/" + k + ": only in the " + a_name + " run");
      else differences(v, b[k], at + "/" + k, found, a_name, b_name, limit);
    for (auto& [k, v] : b.items())
      if (!a.contains(k)) found.push_back(at + "/" + k + ": only in the " + b_name + " run");
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      differences(a[i], b[i], at + "/" + std::to_string(i), found, a_name, b_name, limit);
    return;
  }
  found.push_back(at + ": " + a_name + " " + a.dump().substr(0, 200) + ", " + b_name + " " +
                  b.dump().substr(0, 200));
}

}  // namespace avr::test
