// Replays files through one fuzz target's LLVMFuzzerTestOneInput without libFuzzer.
// The normal build (any compiler, no sanitizers) links every target in fuzz/ with
// this main, and ctest runs it on the target's seed corpus and on the inputs fuzzing
// reported (fuzz/regressions; FuzzSeeds.<target>): the targets keep compiling against
// the library as it changes, and every one of those inputs still reads cleanly, in
// `make test`. The fuzzing itself is `make fuzz`.
//
// Usage: fuzz_replay_<target> FILE_OR_FOLDER...   (a folder: its files, sorted)
// A target aborts on any outcome it does not allow (fuzz/fuzz_support.h), and an
// exception it lets through ends the program: either way the test fails.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Defined by the targets that set something up once (fuzz/torch_support.h).
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    if (fs::is_directory(p)) {
      std::vector<fs::path> in_folder;
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file()) in_folder.push_back(e.path());
      std::sort(in_folder.begin(), in_folder.end());
      inputs.insert(inputs.end(), in_folder.begin(), in_folder.end());
    } else if (fs::is_regular_file(p)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "fuzz replay: %s is neither a file nor a folder\n", p.c_str());
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER... (no input found)\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (const auto& p : inputs) {
    std::vector<uint8_t> bytes(fs::file_size(p));
    std::ifstream in(p, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in || in.gcount() != static_cast<std::streamsize>(bytes.size())) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", p.c_str());
      return 2;
    }
    std::printf("%s (%zu bytes)\n", p.c_str(), bytes.size());
    std::fflush(stdout);
    static const uint8_t none = 0;  // libFuzzer never passes a null pointer
    LLVMFuzzerTestOneInput(bytes.empty() ? &none : bytes.data(), bytes.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
