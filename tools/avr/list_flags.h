// Comma-separated flag values ("fgsm,pgd", "0,0.002,0.006"), shared by the
// subcommands; a bad number names the flag and shows a valid value.
#pragma once

#include <CLI/CLI.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace avr::cli {

// The non-empty items of a comma-separated list.
inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// A comma-separated list of numbers for `flag`; anything else is a
// CLI::ValidationError (one line and exit code 2 in main).
inline std::vector<double> parse_number_list(const std::string& s, const std::string& flag) {
  std::vector<double> out;
  for (const auto& item : split_list(s)) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw CLI::ValidationError(flag, "'" + item + "' is not a number (give e.g. 0,0.002,0.006)");
    }
  }
  return out;
}

}  // namespace avr::cli
