// read_split_csv on arbitrary bytes; every row it accepts has a label.
#include "avr/layout/split_csv.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = avr::fuzz::write_input(data, size, "split.csv");
  avr::fuzz::expect_clean(path, [&] {
    for (const auto& row : avr::read_split_csv(path)) {
      if (row.frame_count <= 0 || row.audio.empty() || row.frames.empty()) std::abort();
      (void)row.label();
    }
  });
  return 0;
}
