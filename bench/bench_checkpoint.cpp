// What verifying a checkpoint costs: load_checkpoint of an AV Concat model
// (every tensor's SHA-256 checked) against the digests alone and against
// reading the file's bytes. Usage: bench_checkpoint [image_size audio_length]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "bench_timing.h"

int main(int argc, char** argv) {
  avr::ModelConfig c;
  c.kind = avr::ModelKind::AudioVisual;
  c.fusion = avr::FusionKind::Concat;
  c.num_classes = 10;
  c.image_size = argc > 2 ? std::atoi(argv[1]) : 224;
  c.audio_length = argc > 2 ? std::atoi(argv[2]) : 65535;
  torch::set_num_threads(1);
  const auto dir = std::filesystem::temp_directory_path() / "avr_bench_checkpoint";
  std::filesystem::create_directories(dir);
  const auto path = dir / "concat.pt";
  avr::AvModel model(c);
  avr::save_checkpoint(path, model);
  int64_t bytes = 0;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : model->named_parameters()) tensors.push_back(p.value()), bytes += p.value().nbytes();
  for (const auto& b : model->named_buffers()) tensors.push_back(b.value()), bytes += b.value().nbytes();

  (void)avr::load_checkpoint(path);  // warm the page cache
  const auto load = avr_bench::time_calls([&] { (void)avr::load_checkpoint(path); }, 3, 3.0);
  const auto digests = avr_bench::time_calls([&] {
    for (const auto& t : tensors) (void)avr::tensor_sha256(t);
  }, 3, 3.0);
  const auto read = avr_bench::time_calls([&] {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }, 3, 3.0);
  std::printf("AV Concat, %ld tensors, %.1f MB of weights, file %.1f MB\n", static_cast<long>(tensors.size()),
              bytes / 1e6, std::filesystem::file_size(path) / 1e6);
  std::printf("load_checkpoint (verified):   %.3f s wall, %.3f s cpu\n", load.wall, load.cpu);
  std::printf("SHA-256 of every tensor:      %.3f s wall, %.3f s cpu (%.0f MB/s; %.0f %% of the load)\n",
              digests.wall, digests.cpu, bytes / 1e6 / digests.cpu, 100 * digests.cpu / load.cpu);
  std::printf("reading the file's bytes:     %.3f s wall, %.3f s cpu\n", read.wall, read.cpu);
  std::filesystem::remove_all(dir);
  return 0;
}
