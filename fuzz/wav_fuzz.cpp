// read_wav (libsndfile) on arbitrary bytes, then to_mono on what it returns.
#include "avr/media/wav.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = avr::fuzz::write_input(data, size, "input.wav");
  avr::fuzz::expect_clean(path, [&] {
    const avr::Audio a = avr::read_wav(path);
    if (a.channels <= 0 || a.sample_rate <= 0 || a.samples.size() % a.channels != 0) std::abort();
    (void)avr::to_mono(a);
  });
  return 0;
}
