#include "frame_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "avr/core/error.h"
#include "decode_limits.h"

namespace avr::ffmpeg {

FrameSampler::FrameSampler(const DecodeSettings& s, const FrameSink& sink, VideoInfo& info)
    : s_(s), sink_(sink), info_(info), prev_(make_frame()) {}

void FrameSampler::push(const AVFrame* f, double t, double duration, double origin) {
  origin_ = origin;
  ++info_.source_frames;
  if (have_prev_ && t <= prev_time_) return;  // out of order or duplicate: keep the first
  AVR_CHECK(!have_prev_ || t - prev_time_ <= kMaxGapSeconds, "a frame at ", t,
            " s follows one at ", prev_time_, " s: more than ", kMaxGapSeconds,
            " s without a frame (damaged timestamps?)");
  AVR_CHECK(t - origin_ <= kMaxVideoSeconds, "a frame at ", t, " s: more than ",
            kMaxVideoSeconds, " s of video (damaged timestamps?)");
  std::optional<Image> current;  // f, converted when a tick first takes it
  if (have_prev_) {
    for (double tick = tick_time(); tick <= t; tick = tick_time()) {
      if (tick - prev_time_ <= t - tick) {
        emit(previous_image());
      } else {
        if (!current) current = convert(f);
        emit(*current);
      }
    }
  }
  av_frame_unref(prev_.get());
  AVR_ASSERT(av_frame_ref(prev_.get(), f) >= 0, "av_frame_ref failed");
  prev_time_ = t;
  prev_duration_ = duration;
  prev_image_valid_ = current.has_value();
  if (current) prev_image_ = std::move(*current);
  have_prev_ = true;
}

void FrameSampler::finish() {
  if (!have_prev_) return;
  const double end = prev_time_ + prev_duration_;
  AVR_CHECK(prev_duration_ <= kMaxGapSeconds && end - origin_ <= kMaxVideoSeconds,
            "the last frame, at ", prev_time_, " s, lasts ", prev_duration_,
            " s (damaged timestamps?)");
  // A tick a hair before the end (float error) belongs to the next frame.
  for (double tick = tick_time(); tick < end - 1e-6; tick = tick_time()) emit(previous_image());
  if (next_tick_ == 0) emit(previous_image());  // a single still frame still yields one
  info_.duration_s = end - origin_;
}

const Image& FrameSampler::previous_image() {
  if (!prev_image_valid_) {
    prev_image_ = convert(prev_.get());
    prev_image_valid_ = true;
  }
  return prev_image_;
}

void FrameSampler::emit(const Image& im) {
  sink_(next_tick_, im);
  ++next_tick_;
  info_.frames = next_tick_;
}

Image FrameSampler::convert(const AVFrame* f) {
  int w = f->width, h = f->height;
  const int shorter = std::min(w, h);
  if (s_.short_side > 0 && shorter > s_.short_side) {
    const double scale = static_cast<double>(s_.short_side) / shorter;
    w = std::max(1, static_cast<int>(std::lround(w * scale)));
    h = std::max(1, static_cast<int>(std::lround(h * scale)));
    (f->width <= f->height ? w : h) = s_.short_side;  // exact on the short side
  }
  const bool shrink = w < f->width || h < f->height;
  SwsContext* c = sws_getCachedContext(
      sws_.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format), w, h,
      // SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT measured 1.9x slower (640x360)
      // for detail the JPEG frames' own chroma subsampling drops again.
      AV_PIX_FMT_RGB24, shrink ? SWS_AREA : SWS_BICUBIC, nullptr, nullptr, nullptr);
  AVR_CHECK(c, "cannot convert ", av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format)),
            " frames to RGB", log_suffix());
  sws_.reset(c);
  // Studio-range BT.601 is swscale's default; honour what the stream says.
  const int cs = f->colorspace > 0 && f->colorspace < 11 ? f->colorspace : SWS_CS_DEFAULT;
  const int full = f->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
  sws_setColorspaceDetails(c, sws_getCoefficients(cs), full, sws_getCoefficients(SWS_CS_DEFAULT),
                           1, 0, 1 << 16, 1 << 16);
  // swscale wants aligned rows; copy them into the packed Image afterwards.
  if (!rgb_ || rgb_->width != w || rgb_->height != h) {
    rgb_ = make_frame();
    rgb_->format = AV_PIX_FMT_RGB24;
    rgb_->width = w;
    rgb_->height = h;
    AVR_CHECK(av_frame_get_buffer(rgb_.get(), 0) >= 0, "out of memory for a ", w, "x", h,
              " frame");
  }
  sws_scale(c, f->data, f->linesize, 0, f->height, rgb_->data, rgb_->linesize);
  Image im(w, h);
  for (int y = 0; y < h; ++y)
    std::memcpy(im.rgb.data() + static_cast<size_t>(y) * w * 3,
                rgb_->data[0] + static_cast<size_t>(y) * rgb_->linesize[0],
                static_cast<size_t>(w) * 3);
  info_.width = w;
  info_.height = h;
  return im;
}

}  // namespace avr::ffmpeg
