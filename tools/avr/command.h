// Subcommand registry: each tools/avr/cmd_<name>.cpp fills an options struct
// from its flags and registers a function that runs it. Only main() catches.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace avr::cli {

using Runner = std::function<void()>;
// Adds the flags to `app` and returns what to run once they are parsed.
using Setup = std::function<Runner(CLI::App& app)>;

struct Command {
  std::string name;
  std::string summary;
  int order;  // position in `avr --help`
  Setup setup;
};

bool register_command(Command command);
const std::vector<Command>& commands();

// Flags every LibTorch command shares.
struct RuntimeFlags {
  int threads = 0;  // 0: all cores
  std::string device = "cpu";
};
void add_runtime_flags(CLI::App& app, RuntimeFlags& flags);
// Applies threads/allocator settings; returns the device name checked.
void apply_runtime_flags(const RuntimeFlags& flags);

}  // namespace avr::cli
