// Reads a settings struct from JSON: missing keys keep their defaults, but a key
// this struct does not know is an error, so a typo never silently runs defaults.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "avr/core/error.h"

namespace avr::detail {

class JsonFields {
 public:
  JsonFields(const nlohmann::json& j, std::string what) : j_(j), what_(std::move(what)) {
    AVR_CHECK(j_.is_object() || j_.is_null(), what_, ": expected a JSON object, got ", j_.dump());
  }

  template <typename T>
  void read(const std::string& key, T& out) {
    known_.insert(key);
    if (j_.is_null() || !j_.contains(key)) return;
    try {
      out = j_.at(key).get<T>();
    } catch (const nlohmann::json::exception& e) {
      AVR_FAIL(what_, ": key '", key, "' has the wrong type (", j_.at(key).dump(), "): ", e.what());
    }
  }

  // Throws for any key that no read() asked for.
  void finish() const {
    if (j_.is_null()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (known_.count(it.key())) continue;
      std::string keys;
      for (const auto& k : known_) keys += (keys.empty() ? "" : ", ") + k;
      AVR_FAIL(what_, ": unknown key '", it.key(), "' (known: ", keys, ")");
    }
  }

 private:
  const nlohmann::json& j_;
  std::string what_;
  std::set<std::string> known_;
};

}  // namespace avr::detail
