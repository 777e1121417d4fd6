// A struct stored as a JSON object whose keys are all required, each key named once for
// both directions: to_json and from_json forward to a JsonRecord's write and read.
//
//   constexpr JsonRecord kSweepPoint("sweep point", json_member("eps", &SweepPoint::eps),
//                                    json_member("concat", &SweepPoint::concat));
//   void to_json(nlohmann::json& j, const SweepPoint& p) { kSweepPoint.write(j, p); }
//   void from_json(const nlohmann::json& j, SweepPoint& p) { kSweepPoint.read(j, p); }
//
// Reading goes through JsonFields: a missing key, an unknown key or a value of the wrong
// type is an avr::Error whose first words are the record's `what`; the target is assigned
// only when every key read cleanly. Structs with optional keys or values checked beyond
// their type use JsonFields directly.
#pragma once

#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "avr/core/json_fields.h"

namespace avr {

// One member of a JsonRecord: its key and the member it holds.
template <typename T, typename M>
struct JsonMember {
  const char* key;
  M T::*member;
};

template <typename T, typename M>
constexpr JsonMember<T, M> json_member(const char* key, M T::*member) {
  return {key, member};
}

template <typename T, typename... M>
class JsonRecord {
 public:
  constexpr JsonRecord(const char* what, JsonMember<T, M>... members) : what_(what), members_(members...) {}

  // `j` becomes an object of exactly the listed members.
  void write(nlohmann::json& j, const T& v) const {
    j = nlohmann::json::object();
    std::apply([&](const auto&... m) { ((j[m.key] = v.*m.member), ...); }, members_);
  }

  void read(const nlohmann::json& j, T& v) const {
    T out;
    JsonFields f(j, what_);
    std::apply([&](const auto&... m) { (f.require(m.key, out.*m.member), ...); }, members_);
    f.finish();
    v = std::move(out);
  }

 private:
  const char* what_;
  std::tuple<JsonMember<T, M>...> members_;
};

}  // namespace avr
