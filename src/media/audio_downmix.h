// Private to avr_media: decoded audio frames (any format, rate, channels) to
// mono float at a fixed rate with libswresample.
#pragma once

#include "avr/media/wav.h"
#include "ffmpeg_util.h"

namespace avr::ffmpeg {

// Downmixes (the mean of all channels) and resamples. Audio that starts after
// the time origin gets the gap as silence in front, so sample i stays at time
// i / rate like the frames; audio from before the origin is dropped.
class AudioDownmix {
 public:
  explicit AudioDownmix(int rate);

  void push(const AVFrame* f, double t, double origin);
  Audio finish();

 private:
  void setup(const AVFrame* f);
  void convert(const uint8_t** in, int n);
  void drain() { convert(nullptr, 0); }

  Audio out_;
  SwrPtr swr_;
  int in_format_ = -1, in_rate_ = 0, in_channels_ = 0;
  bool first_ = true;
  int64_t drop_ = 0;
};

}  // namespace avr::ffmpeg
