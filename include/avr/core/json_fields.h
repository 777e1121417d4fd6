// The one strict JSON reader behind every `from_json` of avr's settings and results.
// Missing optional keys keep the value already in the output (start from a default-made
// struct to get the declared defaults); a key the struct does not know is an error, so a
// misspelled setting never silently runs with its default; a value of the wrong type names
// the key. Errors are avr::Error with `what` (e.g. "pgd settings") as their first words.
//
//   PgdSettings out;                       // the declared defaults
//   JsonFields f(j, "pgd settings");
//   f.read("steps", out.steps);            // optional
//   f.require("seed", out.seed);           // must be present
//   f.read_as("space", out.space, parse_eps_space);  // a string through a parser
//   f.finish();                            // unknown keys → error
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "avr/core/error.h"

namespace avr {

class JsonFields {
 public:
  // `j` must be an object; null reads as an empty object (every key keeps its default).
  JsonFields(const nlohmann::json& j, std::string what) : j_(j), what_(std::move(what)) {
    AVR_CHECK(j_.is_object() || j_.is_null(), what_, ": expected a JSON object, got ", excerpt(j_));
  }

  bool has(const std::string& key) const { return j_.is_object() && j_.contains(key); }

  // Reads `key` into `out` when present; nested structs go through their own from_json.
  template <typename T>
  void read(const std::string& key, T& out) {
    known_.insert(key);
    if (!has(key)) return;
    try {
      out = j_.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      AVR_FAIL(what_, ": key '", key, "' has the wrong type (", excerpt(j_.at(key)), ")");
    }
  }

  // Like read, but the key must be present.
  template <typename T>
  void require(const std::string& key, T& out) {
    AVR_CHECK(has(key), what_, ": key '", key, "' is missing");
    read(key, out);
  }

  // A string value turned into `out` by `parse` (an enum's parse_* function, which throws
  // naming the valid values).
  template <typename T, typename Parse>
  void read_as(const std::string& key, T& out, Parse parse) {
    std::string text;
    read(key, text);
    if (has(key)) out = parse(text);
  }

  // The raw value of an optional key (null when absent), marked as known.
  const nlohmann::json& raw(const std::string& key) {
    known_.insert(key);
    static const nlohmann::json null_value;
    return has(key) ? j_.at(key) : null_value;
  }

  // Throws for any key that no read()/require()/raw() asked for.
  void finish() const {
    if (!j_.is_object()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (known_.count(it.key())) continue;
      std::string keys;
      for (const auto& k : known_) keys += (keys.empty() ? "" : ", ") + k;
      AVR_FAIL(what_, ": unknown key '", it.key(), "' (known: ", keys, ")");
    }
  }

 private:
  // At most 80 characters of a value, for messages.
  static std::string excerpt(const nlohmann::json& v) {
    std::string s = v.dump();
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
  }

  const nlohmann::json& j_;
  std::string what_;
  std::set<std::string> known_;
};

}  // namespace avr
