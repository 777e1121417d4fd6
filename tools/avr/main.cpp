// avr: the command-line front of the library. Turns every error into one line
// on stderr and a non-zero exit (1 for failures, 2 for bad usage).
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "avr/core/error.h"
#include "avr/core/invocation.h"
#include "avr/data/runtime.h"
#include "command.h"

namespace avr::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

bool register_command(Command command) {
  registry().push_back(std::move(command));
  return true;
}

const std::vector<Command>& commands() { return registry(); }

namespace {
std::vector<std::string>& arguments() {
  static std::vector<std::string> a;
  return a;
}
}  // namespace

const std::vector<std::string>& program_arguments() { return arguments(); }

void add_runtime_flags(CLI::App& app, RuntimeFlags& flags) {
  app.add_option("--threads", flags.threads, "CPU threads for LibTorch (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--device", flags.device, "where tensors live: cpu, cuda or cuda:N")
      ->capture_default_str();
}

void apply_runtime_flags(const RuntimeFlags& flags) {
  int threads = flags.threads;
  if (threads == 0)
    if (const char* lws = std::getenv("LOCAL_WORLD_SIZE"); lws && std::atoi(lws) > 1)
      threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::atoi(lws));
  avr::set_threads(threads);
  avr::parse_device(flags.device);  // fails early, with a clear message
}

}  // namespace avr::cli

namespace {

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// "avr attack" of one process; "avr attack [rank 1/2]" of a multi-process run.
std::string command_name(const std::string& sub) {
  std::string name = "avr " + sub;
  const char* rank = std::getenv("RANK");
  const char* world = std::getenv("WORLD_SIZE");
  if (rank && world && std::atoi(world) > 1) name += std::string(" [rank ") + rank + "/" + world + "]";
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  avr::reexec_with_short_openmp_spin(argv);
  avr::configure_allocator();
  avr::cli::arguments().assign(argv, argv + argc);
  avr::record_invocation(argc, argv);
  CLI::App app{
      "avr — adversarial robustness of audio-visual models (Tian & Xu, CVPR 2021).\n"
      "Start with `avr synth --profile tiny --out data/tiny`, then `avr train`, `avr attack`.\n"
      "Every subcommand has --help."};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "avr " AVR_VERSION_STRING);

  auto cmds = avr::cli::commands();
  std::sort(cmds.begin(), cmds.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  std::map<CLI::App*, avr::cli::Runner> runners;
  for (const auto& c : cmds) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners[sub] = c.setup(*sub);
  }

  std::string current = "avr";
  try {
    app.parse(argc, argv);
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) {
        current = command_name(sub->get_name());
        run();
      }
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const avr::Error& e) {
    std::cerr << current << ": error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << current << ": error (LibTorch): " << first_line(e.what_without_backtrace())
              << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << current << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
