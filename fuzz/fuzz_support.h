// What every fuzz target shares: the input goes to a file (every avr reader
// takes a path, as the CLI does), the reader runs, and the only outcome
// allowed besides success is an avr::Error whose message names that file.
// Anything else — a crash, a sanitizer report, another exception type, an
// error that does not say which file is bad — aborts, and libFuzzer keeps the
// input as a crasher.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "avr/core/error.h"

namespace avr::fuzz {

// A per-process folder on tmpfs when there is one (the input is written once
// an execution; tmpfs keeps that out of the disk's way).
inline const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto d = base / ("avr-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(work_dir(), ec); });
    return d;
  }();
  return dir;
}

inline std::filesystem::path write_input(const uint8_t* data, size_t size, const std::string& name) {
  const auto path = work_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs `read`; an avr::Error must name `path` (its file name is enough: some
// readers print the path quoted). Other exceptions propagate: libFuzzer
// reports them as a crash ("uncaught exception").
template <typename F>
void expect_clean(const std::filesystem::path& path, F&& read) {
  try {
    read();
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.find(path.filename().string()) == std::string::npos) {
      std::fprintf(stderr, "fuzz: avr::Error does not name the file %s: %s\n", path.c_str(), msg.c_str());
      std::abort();
    }
  }
}

}  // namespace avr::fuzz
