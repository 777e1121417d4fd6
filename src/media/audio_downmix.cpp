#include "audio_downmix.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "avr/core/error.h"
#include "decode_limits.h"

namespace avr::ffmpeg {

AudioDownmix::AudioDownmix(int rate) {
  out_.sample_rate = rate;
  out_.channels = 1;
}

void AudioDownmix::push(const AVFrame* f, double t, double origin) {
  if (!swr_ || f->format != in_format_ || f->sample_rate != in_rate_ ||
      f->ch_layout.nb_channels != in_channels_) {
    if (swr_) drain();
    setup(f);
  }
  if (first_) {
    first_ = false;
    AVR_CHECK(t - origin <= kMaxGapSeconds, "the audio starts at ", t - origin, " s: more than ",
              kMaxGapSeconds, " s after the first frame (damaged timestamps?)");
    const auto offset = static_cast<int64_t>(std::llround((t - origin) * out_.sample_rate));
    if (offset > 0) out_.samples.assign(static_cast<size_t>(offset), 0.0f);
    else drop_ = -offset;
  }
  convert(const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
}

Audio AudioDownmix::finish() {
  if (swr_) drain();
  return std::move(out_);
}

void AudioDownmix::setup(const AVFrame* f) {
  in_format_ = f->format;
  in_rate_ = f->sample_rate;
  in_channels_ = f->ch_layout.nb_channels;
  AVR_CHECK(in_channels_ > 0 && in_rate_ > 0, "audio frame without channels or sample rate");
  AVR_CHECK(in_rate_ >= kMinAudioRate, "audio sampled at ", in_rate_, " Hz: below ", kMinAudioRate,
            " Hz, which no audio format stores (damaged header?)");
  AVChannelLayout in_layout{};
  if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default(&in_layout, in_channels_);
  else
    AVR_ASSERT(av_channel_layout_copy(&in_layout, &f->ch_layout) >= 0);
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  int rc = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, out_.sample_rate, &in_layout,
                               static_cast<AVSampleFormat>(in_format_), in_rate_, 0, nullptr);
  av_channel_layout_uninit(&in_layout);
  swr_.reset(raw);
  AVR_CHECK(rc >= 0, "cannot set up audio resampling: ", error_text(rc));
  // An explicit mean rather than swresample's surround-aware default, so a
  // tone in every channel keeps its amplitude.
  std::vector<double> matrix(static_cast<size_t>(in_channels_), 1.0 / in_channels_);
  rc = swr_set_matrix(swr_.get(), matrix.data(), in_channels_);
  AVR_CHECK(rc >= 0, "cannot set the downmix matrix: ", error_text(rc));
  rc = swr_init(swr_.get());
  AVR_CHECK(rc >= 0, "cannot start audio resampling from ", in_rate_, " Hz: ", error_text(rc),
            log_suffix());
}

void AudioDownmix::convert(const uint8_t** in, int n) {
  const int cap = swr_get_out_samples(swr_.get(), n);
  AVR_CHECK(cap >= 0, "audio resampling failed: ", error_text(cap));
  const size_t old = out_.samples.size();
  out_.samples.resize(old + static_cast<size_t>(cap));
  auto* dst = reinterpret_cast<uint8_t*>(out_.samples.data() + old);
  const int got = swr_convert(swr_.get(), &dst, cap, in, n);
  AVR_CHECK(got >= 0, "audio resampling failed: ", error_text(got), log_suffix());
  out_.samples.resize(old + static_cast<size_t>(got));
  if (drop_ > 0) {  // audio from before the file's start
    const auto d = std::min<int64_t>(drop_, static_cast<int64_t>(out_.samples.size()));
    out_.samples.erase(out_.samples.begin(), out_.samples.begin() + d);
    drop_ -= d;
  }
}

}  // namespace avr::ffmpeg
