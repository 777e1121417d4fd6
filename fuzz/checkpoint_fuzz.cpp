// The avr checkpoint loader on arbitrary bytes: read_checkpoint_config (the
// pickle through LibTorch's torch::pickle_load, not instrumented, then avr's
// checks and the ModelConfig JSON) and load_checkpoint_into a model built once
// from the seed's config (state_dict checks and copies by name and shape).
// load_checkpoint, which also builds the model a checkpoint names, is the same
// code plus AvModel's constructor: building a ResNet18 an execution would cut
// the rate a hundredfold, so the config it would build from is fuzzed here and
// the construction is not.
#include <torch/torch.h>

#include "avr/models/checkpoint.h"
#include "fuzz_support.h"
#include "torch_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  avr::fuzz::no_torch_backtraces();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static avr::AvModel model = [] {
    avr::ModelConfig c;  // fuzz/make_corpus.sh: the seed checkpoints' config
    c.kind = avr::ModelKind::Audio;
    c.num_classes = 2;
    c.image_size = 32;
    c.audio_length = 4096;
    return avr::AvModel(c);
  }();
  const auto path = avr::fuzz::write_input(data, size, "model.ckpt");
  avr::fuzz::expect_clean(path, [&] { (void)avr::read_checkpoint_config(path); });
  avr::fuzz::expect_clean(path, [&] { (void)avr::load_checkpoint_into(path, model); });
  return 0;
}
