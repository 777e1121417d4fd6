#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/dist/local_launch.h"
#include "avr/dist/process_group.h"
#include "avr/models/checkpoint.h"
#include "avr/synth/generator.h"
#include "avr/synth/instruments.h"

namespace avr::test {

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = std::filesystem::temp_directory_path() /
             ("avr_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_shell(const std::string& command) {
  CommandResult r{-1, ""};
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CommandResult run_avr(const std::string& args) {
  return run_shell(std::string("'") + AVR_CLI_PATH + "' " + args);
}

std::filesystem::path source_dir() { return AVR_SOURCE_DIR; }

SynthProfile generate_small_dataset(const std::filesystem::path& out, int64_t test_clips) {
  SynthRequest req;
  req.profile = profile_by_name("tiny");
  const auto names = instrument_names();
  req.profile.classes = {names.at(0), names.at(1), names.at(2), names.at(3)};
  req.profile.train_clips = 4;
  req.profile.val_clips = 2;
  req.profile.test_clips = test_clips;
  req.out = out;
  req.progress = false;
  generate_dataset(req);
  return req.profile;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

AvModel save_untrained_concat(const std::filesystem::path& checkpoint, const SynthProfile& profile,
                              std::optional<uint64_t> varied_stats_seed) {
  ModelConfig mc;
  mc.kind = ModelKind::AudioVisual;
  mc.fusion = FusionKind::Concat;
  mc.num_classes = static_cast<int64_t>(profile.classes.size());
  mc.image_size = profile.image_size;
  mc.audio_length = profile.audio_length;
  if (varied_stats_seed) mc.seed = *varied_stats_seed;
  AvModel m(mc);
  if (varied_stats_seed) {
    torch::manual_seed(*varied_stats_seed);
    torch::NoGradGuard ng;
    for (auto& b : m->named_buffers()) {
      if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
    }
  }
  save_checkpoint(checkpoint, m, {{"classes", profile.classes}});
  return m;
}

void save_untrained_localizer(const std::filesystem::path& checkpoint, const SynthProfile& profile,
                              int64_t image_size) {
  ModelConfig mc;
  mc.kind = ModelKind::Localizer;
  mc.num_classes = static_cast<int64_t>(profile.classes.size());
  mc.image_size = image_size;
  mc.audio_length = profile.audio_length;
  save_checkpoint(checkpoint, AvModel(mc), {{"classes", profile.classes}});
}

nlohmann::json without_seconds(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("seconds");
    for (auto& [k, v] : j.items()) v = without_seconds(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = without_seconds(v);
  }
  return j;
}

void on_ranks(int n, const std::function<void(dist::ProcessGroup&)>& body) {
  const int port = dist::free_local_port();
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        dist::DistEnv e;
        e.rank = e.local_rank = r;
        e.world_size = e.local_world_size = n;
        e.master_addr = "127.0.0.1";
        e.master_port = port;
        dist::ProcessGroup g(e);
        body(g);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace avr::test
