// Private to avr_media: turns decoded video frames (any rate) into RGB
// Images at a fixed rate, tick k at origin + k/fps taking the frame nearest
// in time (ties: the earlier one), optionally shrunk to a shorter side.
#pragma once

#include "avr/media/video_decoder.h"
#include "ffmpeg_util.h"

namespace avr::ffmpeg {

// Frames arrive in presentation order, so a tick is settled as soon as a
// frame at or after it arrives: the answer is that frame or the one before.
class FrameSampler {
 public:
  FrameSampler(const DecodeSettings& s, const FrameSink& sink, VideoInfo& info);

  // A decoded frame at time t (s) lasting `duration`; origin is tick 0's time.
  void push(const AVFrame* f, double t, double duration, double origin);
  // Ticks up to the end of the last frame take the last frame.
  void finish();

 private:
  double tick_time() const { return origin_ + static_cast<double>(next_tick_) / s_.fps; }
  // Hands tick next_tick_ an image. Each source frame is converted once, however many
  // ticks take it (a long gap is filled with copies of its two ends).
  void emit(const Image& im);
  const Image& previous_image();
  Image convert(const AVFrame* f);

  const DecodeSettings& s_;
  const FrameSink& sink_;
  VideoInfo& info_;
  FramePtr prev_;
  FramePtr rgb_;
  SwsPtr sws_;
  Image prev_image_;
  bool prev_image_valid_ = false;
  bool have_prev_ = false;
  double prev_time_ = 0, prev_duration_ = 0, origin_ = 0;
  int64_t next_tick_ = 0;
};

}  // namespace avr::ffmpeg
