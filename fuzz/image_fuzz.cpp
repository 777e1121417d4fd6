// read_image (stb_image: PNG, JPEG and whatever else it sniffs) on arbitrary bytes.
#include "avr/media/image.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = avr::fuzz::write_input(data, size, "input.png");
  avr::fuzz::expect_clean(path, [&] {
    const avr::Image im = avr::read_image(path);
    if (im.width <= 0 || im.height <= 0 ||
        im.rgb.size() != static_cast<size_t>(im.width) * im.height * 3)
      std::abort();
  });
  return 0;
}
