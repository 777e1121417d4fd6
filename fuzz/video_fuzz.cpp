// decode_video (FFmpeg's demuxers and decoders, not instrumented; avr's
// sampling, rotation, scaling and downmix, instrumented) with the settings
// `avr extract` uses by default (layout/extract.cpp decode_settings), frames
// encoded to JPEG as extract writes them.
#include "avr/layout/extract.h"
#include "avr/media/video_decoder.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = avr::fuzz::write_input(data, size, "video.mp4");
  const avr::ExtractSettings e;
  avr::DecodeSettings s;
  s.fps = e.fps;
  s.sample_rate = e.sample_rate;
  s.short_side = e.short_side;
  s.require_audio = true;
  s.max_bad_packets = e.max_bad_packets;
  avr::fuzz::expect_clean(path, [&] {
    avr::VideoInfo info;
    const avr::Audio audio = avr::decode_video(
        path, s,
        [&](int64_t i, const avr::Image& im) {
          if (im.width <= 0 || im.height <= 0) std::abort();
          if (i == 0) (void)avr::encode_jpeg(im, e.jpeg_quality);
        },
        &info);
    if (audio.channels != 1 || audio.sample_rate != s.sample_rate) std::abort();
  });
  return 0;
}
