// Flags bound straight to the library's settings structs (RobustnessSettings,
// LocalizationSettings, ExFMemSettings, AttackBudget, ...): a flag writes the setting it
// names and --help shows the value declared there, so each default is written once,
// where the setting is declared. Commands whose settings come from a preset or profile
// resolved at run time (train, study) keep optional overrides on top of it instead.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "avr/attacks/attack_budget.h"
#include "avr/core/error.h"

namespace avr::cli {

// `flag` writes `setting` (a number, string or bool); the help shows its current value.
template <class T>
CLI::Option* add_setting(CLI::App& app, const std::string& flag, T& setting, const std::string& help) {
  return app.add_option(flag, setting, help)->capture_default_str();
}

// `flag` for settings written through `write` (an enum or a list read from text, one value
// for several settings): CLI11 reads the flag as a T, and an avr::Error that `write` throws
// becomes a usage error naming the flag (one line, exit code 2). `shown` is the default's
// text for the help.
template <class T>
CLI::Option* add_setting_with(CLI::App& app, const std::string& flag, std::function<void(const T&)> write,
                              const std::string& shown, const std::string& help) {
  return app
      .add_option_function<T>(
          flag,
          [flag, write = std::move(write)](const T& value) {
            try {
              write(value);
            } catch (const Error& e) {
              throw CLI::ValidationError(flag, e.what());
            }
          },
          help)
      ->default_str(shown);
}

// A value as --help shows defaults (0.1, not 0.100000).
template <class T>
std::string shown(const T& value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

// "a,b,c" from {"a", "b", "c"}, `show` giving each item's text.
template <class T, class Show>
std::string join_list(const std::vector<T>& items, Show show) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ",") + std::string(show(item));
  return s;
}

// --eps (✗A and ✗V), --eps-both (each input of ✗AV) and --eps-space, written into `budget`.
void add_budget_flags(CLI::App& app, AttackBudget& budget);

}  // namespace avr::cli
