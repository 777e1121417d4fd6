#include "avr/media/video_encoder.h"

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "ffmpeg_util.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/samplefmt.h>
}

namespace avr {

using namespace ffmpeg;

void EncodeSettings::validate() const {
  AVR_CHECK(std::isfinite(fps) && fps > 0 && fps <= 1000, "video fps must be in (0, 1000], got ",
            fps);
  AVR_CHECK(!video_codec.empty(), "video codec must be named (e.g. mpeg4, mjpeg, ffv1)");
  AVR_CHECK(quality >= 1 && quality <= 31, "video quality must be in 1..31, got ", quality);
  AVR_CHECK(display_rotation == 0 || display_rotation == 90 || display_rotation == 180 ||
                display_rotation == 270,
            "display rotation must be 0, 90, 180 or 270 degrees, got ", display_rotation);
  AVR_CHECK(std::isfinite(audio_start) && audio_start >= 0,
            "audio start must be a number of seconds >= 0, got ", audio_start);
}

namespace {

struct Track {
  AVStream* stream = nullptr;
  CodecPtr ctx;
};

class VideoWriter {
 public:
  VideoWriter(const std::filesystem::path& path, const AVOutputFormat* fmt,
              const std::filesystem::path& tmp, const EncodeSettings& s)
      : path_(path), s_(s), pkt_(make_packet()) {
    AVFormatContext* raw = nullptr;
    const int rc = avformat_alloc_output_context2(&raw, fmt, nullptr, tmp.c_str());
    AVR_CHECK(rc >= 0 && raw, "write_video ", path_, ": ", error_text(rc));
    oc_.reset(raw);
  }

  void add_video(int width, int height) {
    const AVCodec* codec = find_encoder(s_.video_codec, AVMEDIA_TYPE_VIDEO);
    AVCodecContext* c = new_context(video_, codec);
    c->width = width;
    c->height = height;
    c->framerate = av_d2q(s_.fps, 100000);
    c->time_base = av_inv_q(c->framerate);
    // The codec's format nearest to RGB loses least (e.g. yuvj444p for mjpeg).
    c->pix_fmt = codec->pix_fmts ? avcodec_find_best_pix_fmt_of_list(codec->pix_fmts,
                                                                     AV_PIX_FMT_RGB24, 0, nullptr)
                                 : AV_PIX_FMT_YUV420P;
    c->gop_size = 12;
    c->max_b_frames = 0;
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * s_.quality;
    open(video_, codec);
    if (s_.display_rotation != 0) set_display_rotation(video_.stream, s_.display_rotation);
    frame_ = make_frame();
    frame_->format = c->pix_fmt;
    frame_->width = width;
    frame_->height = height;
    AVR_CHECK(av_frame_get_buffer(frame_.get(), 0) >= 0, "out of memory for video frames");
    sws_.reset(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, c->pix_fmt,
                              SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr,
                              nullptr, nullptr));
    AVR_CHECK(sws_, "write_video ", path_, ": cannot convert RGB to ",
              av_get_pix_fmt_name(c->pix_fmt));
  }

  void add_audio(const Audio& a) {
    std::string name = s_.audio_codec;
    if (name.empty())
      name = avformat_query_codec(oc_->oformat, AV_CODEC_ID_PCM_S16LE, FF_COMPLIANCE_NORMAL) == 1
                 ? "pcm_s16le"
                 : "aac";
    const AVCodec* codec = find_encoder(name, AVMEDIA_TYPE_AUDIO);
    if (codec->supported_samplerates) {
      bool ok = false;
      for (const int* r = codec->supported_samplerates; *r; ++r) ok = ok || *r == a.sample_rate;
      AVR_CHECK(ok, "write_video ", path_, ": audio codec ", name, " cannot store ",
                a.sample_rate, " Hz audio");
    }
    AVCodecContext* c = new_context(audio_, codec);
    c->sample_rate = a.sample_rate;
    c->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
    av_channel_layout_default(&c->ch_layout, a.channels);
    c->time_base = AVRational{1, a.sample_rate};
    open(audio_, codec);
    chunk_ = c->frame_size > 0 ? c->frame_size : 1024;
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &c->ch_layout, c->sample_fmt, a.sample_rate, &c->ch_layout,
                                 AV_SAMPLE_FMT_FLT, a.sample_rate, 0, nullptr);
    swr_.reset(raw);
    AVR_CHECK(rc >= 0 && swr_init(swr_.get()) >= 0, "write_video ", path_,
              ": cannot convert audio for ", name);
    aframe_ = make_frame();
  }

  void write(const std::vector<Image>& frames, const Audio& audio) {
    if (!(oc_->oformat->flags & AVFMT_NOFILE)) {
      const int rc = avio_open(&oc_->pb, oc_->url, AVIO_FLAG_WRITE);
      AVR_CHECK(rc >= 0, "cannot create ", oc_->url, ": ", error_text(rc));
    }
    int rc = avformat_write_header(oc_.get(), nullptr);
    AVR_CHECK(rc >= 0, "write_video ", path_, ": cannot write the header: ", error_text(rc),
              log_suffix());
    const int64_t n_video = static_cast<int64_t>(frames.size());
    const int64_t n_audio = audio_.ctx ? audio.frames() : 0;
    int64_t v = 0, a = 0;  // next frame index, next sample index
    // The audio's timestamps count samples from the first frame's time.
    const int64_t a0 = audio_.ctx ? std::llround(s_.audio_start * audio_.ctx->sample_rate) : 0;
    // Feed whichever stream is behind, so the muxer interleaves without buffering it all.
    while (v < n_video || a < n_audio) {
      const bool video_next =
          v < n_video && (a >= n_audio || av_compare_ts(v, video_.ctx->time_base, a0 + a,
                                                        audio_.ctx->time_base) <= 0);
      if (video_next) {
        put_video(frames[static_cast<size_t>(v)], v);
        ++v;
      } else {
        const int n = static_cast<int>(std::min<int64_t>(chunk_, n_audio - a));
        put_audio(audio.samples.data() + a * audio.channels, n, a0 + a);
        a += n;
      }
    }
    encode(video_, nullptr);
    if (audio_.ctx) encode(audio_, nullptr);
    rc = av_write_trailer(oc_.get());
    AVR_CHECK(rc >= 0, "write_video ", path_, ": cannot finish the file: ", error_text(rc));
  }

 private:
  const AVCodec* find_encoder(const std::string& name, AVMediaType type) {
    const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
    AVR_CHECK(codec && codec->type == type, "write_video ", path_, ": no ",
              type == AVMEDIA_TYPE_VIDEO ? "video" : "audio", " encoder named '", name,
              "' in this FFmpeg build");
    AVR_CHECK(avformat_query_codec(oc_->oformat, codec->id, FF_COMPLIANCE_NORMAL) != 0,
              "write_video ", path_, ": a ", oc_->oformat->name, " file cannot hold ", name,
              " (pick another codec or extension)");
    return codec;
  }

  AVCodecContext* new_context(Track& t, const AVCodec* codec) {
    t.ctx.reset(avcodec_alloc_context3(codec));
    AVR_CHECK(t.ctx, "out of memory opening ", codec->name);
    if (oc_->oformat->flags & AVFMT_GLOBALHEADER) t.ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    return t.ctx.get();
  }

  void open(Track& t, const AVCodec* codec) {
    int rc = avcodec_open2(t.ctx.get(), codec, nullptr);
    AVR_CHECK(rc >= 0, "write_video ", path_, ": cannot open encoder ", codec->name, ": ",
              error_text(rc), log_suffix());
    t.stream = avformat_new_stream(oc_.get(), nullptr);
    AVR_CHECK(t.stream, "out of memory adding a stream to ", path_);
    rc = avcodec_parameters_from_context(t.stream->codecpar, t.ctx.get());
    AVR_CHECK(rc >= 0, "write_video ", path_, ": ", error_text(rc));
    t.stream->time_base = t.ctx->time_base;
  }

  void put_video(const Image& im, int64_t index) {
    AVR_CHECK(av_frame_make_writable(frame_.get()) >= 0, "out of memory for video frames");
    const uint8_t* src[1] = {im.rgb.data()};
    const int stride[1] = {im.width * 3};
    sws_scale(sws_.get(), src, stride, 0, im.height, frame_->data, frame_->linesize);
    frame_->pts = index;
    encode(video_, frame_.get());
  }

  void put_audio(const float* samples, int n, int64_t first_sample) {
    const AVCodecContext* c = audio_.ctx.get();
    av_frame_unref(aframe_.get());
    const bool short_ok = c->codec->capabilities &
                          (AV_CODEC_CAP_VARIABLE_FRAME_SIZE | AV_CODEC_CAP_SMALL_LAST_FRAME);
    aframe_->nb_samples = short_ok || c->frame_size == 0 ? n : chunk_;
    aframe_->format = c->sample_fmt;
    aframe_->sample_rate = c->sample_rate;
    AVR_ASSERT(av_channel_layout_copy(&aframe_->ch_layout, &c->ch_layout) >= 0);
    AVR_CHECK(av_frame_get_buffer(aframe_.get(), 0) >= 0, "out of memory for audio frames");
    // A codec that takes only whole frames gets the tail as silence after the real end.
    av_samples_set_silence(aframe_->extended_data, 0, aframe_->nb_samples,
                           c->ch_layout.nb_channels, c->sample_fmt);
    const auto* src = reinterpret_cast<const uint8_t*>(samples);
    const int got = swr_convert(swr_.get(), aframe_->extended_data, n, &src, n);
    AVR_CHECK(got == n, "write_video ", path_, ": audio conversion failed");
    aframe_->pts = first_sample;
    encode(audio_, aframe_.get());
  }

  void encode(Track& t, const AVFrame* frame) {
    int rc = avcodec_send_frame(t.ctx.get(), frame);
    AVR_CHECK(rc >= 0, "write_video ", path_, ": encoding with ", t.ctx->codec->name,
              " failed: ", error_text(rc), log_suffix());
    while ((rc = avcodec_receive_packet(t.ctx.get(), pkt_.get())) >= 0) {
      // Video encoders leave it 0; without it MP4 guesses the last frame's length.
      if (pkt_->duration == 0 && &t == &video_) pkt_->duration = 1;
      av_packet_rescale_ts(pkt_.get(), t.ctx->time_base, t.stream->time_base);
      pkt_->stream_index = t.stream->index;
      const int w = av_interleaved_write_frame(oc_.get(), pkt_.get());
      AVR_CHECK(w >= 0, "write_video ", path_, ": cannot write: ", error_text(w), " (disk full?)");
    }
    AVR_CHECK(rc == AVERROR(EAGAIN) || rc == AVERROR_EOF, "write_video ", path_, ": encoding with ",
              t.ctx->codec->name, " failed: ", error_text(rc), log_suffix());
  }

  std::filesystem::path path_;
  const EncodeSettings& s_;
  OutputPtr oc_;
  Track video_, audio_;
  FramePtr frame_, aframe_;
  PacketPtr pkt_;
  SwsPtr sws_;
  SwrPtr swr_;
  int chunk_ = 1024;
};

}  // namespace

void write_video(const std::filesystem::path& path, const std::vector<Image>& frames,
                 const Audio& audio, const EncodeSettings& settings) {
  settings.validate();
  AVR_CHECK(!frames.empty(), "write_video ", path, ": no frames to write");
  const int w = frames[0].width, h = frames[0].height;
  for (size_t i = 0; i < frames.size(); ++i)
    AVR_CHECK(frames[i].width == w && frames[i].height == h && w > 0 && h > 0 &&
                  frames[i].rgb.size() == static_cast<size_t>(w) * h * 3,
              "write_video ", path, ": frame ", i, " is ", frames[i].width, "x", frames[i].height,
              ", expected every frame ", w, "x", h, " RGB");
  if (!audio.samples.empty())
    AVR_CHECK(audio.sample_rate > 0 && audio.channels > 0 &&
                  audio.samples.size() % static_cast<size_t>(audio.channels) == 0,
              "write_video ", path, ": audio needs a sample rate, channels and whole frames");
  install_log_capture();
  take_last_log();
  // The container comes from the final name; the atomic temp file has another suffix.
  const AVOutputFormat* fmt = av_guess_format(nullptr, path.filename().c_str(), nullptr);
  AVR_CHECK(fmt, "write_video ", path, ": unknown container for '", path.extension().string(),
            "' (use .mkv, .avi, .mp4 or .mov)");
  write_atomic_with(path, [&](const std::filesystem::path& tmp) {
    VideoWriter writer(path, fmt, tmp, settings);
    writer.add_video(w, h);
    if (!audio.samples.empty()) writer.add_audio(audio);
    writer.write(frames, audio);
  });
}

}  // namespace avr
