// The names of an enum's values, written once, for its to_string and parse_* functions:
// the lookup both ways and the error that lists the valid names, also for a JSON value
// that is not a string. Used by the enums read from flags, settings and checkpoints
// (ModelKind, FusionKind, LossKind).
//
//   constexpr EnumNames<LossKind, 2> kNames{"loss", {{{LossKind::CrossEntropy, "ce"}, ...}}};
//   kNames.name(LossKind::CrossEntropy)  // "ce"
//   kNames.parse("cross-entropy")        // avr::Error: loss 'cross-entropy' is unknown: use one of ce, ...
//   kNames.from_json(nlohmann::json(3))  // avr::Error: loss must be a string (ce, ...), got 3
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "avr/core/error.h"

namespace avr {

template <class E, std::size_t N>
struct EnumNames {
  const char* what;  // what the values are, for the error: "loss", "fusion", "model kind"
  std::array<std::pair<E, const char*>, N> names;

  std::string name(E value) const {
    for (const auto& [v, n] : names)
      if (v == value) return n;
    AVR_ASSERT(false, "no name for ", what, " value ", static_cast<int>(value));
  }

  E parse(const std::string& text) const {
    for (const auto& [v, n] : names)
      if (text == n) return v;
    AVR_FAIL(what, " '", text, "' is unknown: use one of ", list());
  }

  // The value a JSON string names (a settings file, a checkpoint's config).
  E from_json(const nlohmann::json& j) const {
    AVR_CHECK(j.is_string(), what, " must be a string (", list(), "), got ", j.dump());
    return parse(j.get<std::string>());
  }

  // "a, b, c": the non-empty names (an empty name stands for "none" and is not offered).
  std::string list() const {
    std::string s;
    for (const auto& [v, n] : names)
      if (*n) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
  }
};

}  // namespace avr
