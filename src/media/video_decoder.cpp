#include "avr/media/video_decoder.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <utility>
#include <vector>

#include "avr/core/error.h"
#include "audio_downmix.h"
#include "ffmpeg_util.h"
#include "frame_sampler.h"

namespace avr {

using namespace ffmpeg;

void DecodeSettings::validate() const {
  AVR_CHECK(std::isfinite(fps) && fps > 0 && fps <= 1000, "fps must be in (0, 1000], got ", fps);
  AVR_CHECK(sample_rate >= 1000 && sample_rate <= 384000,
            "sample rate must be in [1000, 384000] Hz, got ", sample_rate);
  AVR_CHECK(short_side >= 0, "short side must be 0 (keep the size) or a pixel count, got ",
            short_side);
  AVR_CHECK(video || audio, "decode settings ask for neither video nor audio");
  AVR_CHECK(max_bad_packets >= 0, "max bad packets must be >= 0, got ", max_bad_packets);
}

namespace {

constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

// The demuxers decode_video opens (FFmpeg's names, as av_match_list compares
// them): media containers that hold their streams. Playlists and file lists
// (hls, concat, dash, image2 patterns, tee …) are left out: such a file names
// other files or URLs, which a dataset folder could use to make avr read
// anything the user can. wav stays so an audio file is told it has no video.
constexpr const char* kFormatWhitelist =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf,wav";

struct StreamDecoder {
  int index = -1;
  AVStream* stream = nullptr;
  CodecPtr ctx;
  double last_time = kUnset;  // of the previous frame, for frames without a timestamp
};

StreamDecoder open_decoder(const std::filesystem::path& path, AVFormatContext* in, int index,
                           const char* kind) {
  StreamDecoder d;
  d.index = index;
  d.stream = in->streams[index];
  const AVCodecParameters* par = d.stream->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  AVR_CHECK(codec, path, ": no decoder for its ", kind, " codec '",
            avcodec_get_name(par->codec_id), "' in this FFmpeg build");
  d.ctx.reset(avcodec_alloc_context3(codec));
  AVR_CHECK(d.ctx, "out of memory opening the ", kind, " decoder for ", path);
  int rc = avcodec_parameters_to_context(d.ctx.get(), par);
  AVR_CHECK(rc >= 0, path, ": bad ", kind, " stream parameters: ", error_text(rc));
  d.ctx->pkt_timebase = d.stream->time_base;
  // Callers parallelize over files; one thread a decoder keeps that predictable.
  d.ctx->thread_count = 1;
  rc = avcodec_open2(d.ctx.get(), codec, nullptr);
  AVR_CHECK(rc >= 0, path, ": cannot open the ", kind, " decoder '", codec->name,
            "': ", error_text(rc), log_suffix());
  return d;
}

// Seconds of a decoded frame; frames without a timestamp follow the previous one.
double frame_time(StreamDecoder& d, const AVFrame* f, double fallback_step) {
  double t;
  if (f->best_effort_timestamp != AV_NOPTS_VALUE)
    t = static_cast<double>(f->best_effort_timestamp) * av_q2d(d.stream->time_base);
  else
    t = std::isnan(d.last_time) ? 0.0 : d.last_time + fallback_step;
  d.last_time = t;
  return t;
}

double stream_fps(const AVStream* st) {
  if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) return av_q2d(st->avg_frame_rate);
  if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0) return av_q2d(st->r_frame_rate);
  return 0.0;
}

// The format FFmpeg guesses from the file's first bytes, without opening it
// (opening a playlist reads what it names): to say what was refused.
std::string probed_format(const std::filesystem::path& path) {
  constexpr size_t kProbe = 1 << 16;
  std::vector<unsigned char> buf(kProbe + AVPROBE_PADDING_SIZE, 0);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(buf.data()), kProbe);
  AVProbeData pd{};
  const std::string name = path.string();
  pd.filename = name.c_str();
  pd.buf = buf.data();
  pd.buf_size = static_cast<int>(in.gcount());
  const AVInputFormat* f = av_probe_input_format(&pd, 1);
  return f ? f->name : "";
}

}  // namespace

Audio decode_video(const std::filesystem::path& path, const DecodeSettings& settings,
                   const FrameSink& on_frame, VideoInfo* info_out) {
  settings.validate();
  AVR_CHECK(std::filesystem::exists(path), "video not found: ", path);
  AVR_CHECK(std::filesystem::is_regular_file(path), "video ", path, " is not a file");
  install_log_capture();
  take_last_log();

  AVFormatContext* raw = nullptr;
  // Only the file itself: the file protocol ("file:" so that a name such as
  // "concat:a|b" or "http:x" stays a file name) and the containers above,
  // also for anything a demuxer would open on its own.
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  av_dict_set(&options, "format_whitelist", kFormatWhitelist, 0);
  int rc = avformat_open_input(&raw, ("file:" + path.string()).c_str(), nullptr, &options);
  av_dict_free(&options);
  const std::string log = take_last_log();
  const std::string refused = "not on whitelist";
  if (rc < 0 && log.find(refused) != std::string::npos) {
    const std::string format = probed_format(path);
    AVR_FAIL("cannot open video ", path, ": it is ",
             format.empty() ? std::string("in a format") : "a '" + format + "' file",
             " avr does not open (a playlist or list of files could make it read other files or "
             "URLs); give it the video file itself (mp4, mov, mkv, webm, avi, flv, ts, mpeg, ogg, asf)");
  }
  AVR_CHECK(rc >= 0, "cannot open video ", path, ": ", error_text(rc),
            log.empty() ? std::string() : " (ffmpeg: " + log + ")",
            " (not a media file FFmpeg reads, or damaged)");
  InputPtr in(raw);
  rc = avformat_find_stream_info(in.get(), nullptr);
  AVR_CHECK(rc >= 0, "cannot read the streams of ", path, ": ", error_text(rc), log_suffix());

  VideoInfo info;
  info.container = in->iformat->name;
  int vi = -1, ai = -1;
  if (settings.video) {
    vi = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    AVR_CHECK(vi >= 0, path, " has no video stream (", info.container, " file)");
    AVR_CHECK(!(in->streams[vi]->disposition & AV_DISPOSITION_ATTACHED_PIC), path,
              " has only a cover picture, no video");
  }
  if (settings.audio) {
    ai = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, vi, nullptr, 0);
    AVR_CHECK(ai >= 0 || !settings.require_audio, path, " has no audio stream");
    AVR_CHECK(ai >= 0 || settings.video, path, " has no audio stream");
  }
  for (unsigned i = 0; i < in->nb_streams; ++i)
    if (static_cast<int>(i) != vi && static_cast<int>(i) != ai)
      in->streams[i]->discard = AVDISCARD_ALL;

  StreamDecoder video, audio;
  if (vi >= 0) {
    video = open_decoder(path, in.get(), vi, "video");
    info.video_codec = video.ctx->codec->name;
    info.source_width = video.ctx->width;
    info.source_height = video.ctx->height;
    info.source_fps = stream_fps(video.stream);
    const double turn = display_rotation(video.stream);
    const double right_angle = 90.0 * std::round(turn / 90.0);
    AVR_CHECK(std::abs(turn - right_angle) < 1.0, path, " asks players to rotate its frames by ", turn,
              "° (display matrix); avr turns frames by right angles only: re-encode it upright (e.g. "
              "`ffmpeg -i in -vf rotate=", turn, "*PI/180 out.mp4`)");
    info.rotation = static_cast<int>(right_angle) % 360;
  }
  if (ai >= 0) {
    audio = open_decoder(path, in.get(), ai, "audio");
    info.audio_codec = audio.ctx->codec->name;
    info.source_sample_rate = audio.ctx->sample_rate;
    info.source_channels = audio.ctx->ch_layout.nb_channels;
  }

  // One time origin for both streams: the file's start (or the first frame's).
  double origin = in->start_time != AV_NOPTS_VALUE
                      ? static_cast<double>(in->start_time) / AV_TIME_BASE
                      : kUnset;
  const double frame_step = info.source_fps > 0 ? 1.0 / info.source_fps : 1.0 / settings.fps;
  // Frames are handed out as players display them: turned by the display matrix.
  const FrameSink upright = [&](int64_t index, const Image& im) {
    on_frame(index, rotate_clockwise(im, info.rotation));
  };
  FrameSampler sampler(settings, info.rotation ? upright : on_frame, info);
  AudioDownmix downmix(settings.sample_rate);
  double last_time = 0.0;

  auto bad = [&](const char* what, int code) {
    ++info.bad_packets;
    AVR_CHECK(info.bad_packets <= settings.max_bad_packets, path, ": ", what, " near ",
              last_time, " s: ", error_text(code), log_suffix(), " (corrupt or truncated file",
              settings.max_bad_packets ? "; more bad packets than allowed" : "", ")");
  };
  FramePtr frame = make_frame();
  auto receive = [&](StreamDecoder& d) {
    int r;
    while ((r = avcodec_receive_frame(d.ctx.get(), frame.get())) >= 0) {
      const bool is_video = &d == &video;
      const double t = frame_time(d, frame.get(), is_video ? frame_step : 0.0);
      if (std::isnan(origin)) origin = t;
      last_time = t - origin;
      if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT))
        bad(is_video ? "damaged video frame" : "damaged audio frame", AVERROR_INVALIDDATA);
      if (is_video) {
        const double dur = frame->pkt_duration > 0
                               ? frame->pkt_duration * av_q2d(d.stream->time_base)
                               : frame_step;
        try {
          sampler.push(frame.get(), t, dur, origin);
        } catch (const Error& e) {  // the sampler's checks do not know the file
          AVR_FAIL("video ", path, ": ", e.what());
        }
      } else {
        try {
          downmix.push(frame.get(), t, origin);
        } catch (const Error& e) {  // the resampler's errors do not know the file either
          AVR_FAIL("video ", path, ": ", e.what());
        }
      }
      av_frame_unref(frame.get());
    }
    if (r != AVERROR(EAGAIN) && r != AVERROR_EOF) bad("cannot decode a frame", r);
  };
  auto send = [&](StreamDecoder& d, const AVPacket* pkt) {
    const int r = avcodec_send_packet(d.ctx.get(), pkt);
    if (r < 0 && r != AVERROR_EOF) bad("the decoder rejected a packet", r);
    receive(d);
  };

  PacketPtr pkt = make_packet();
  while ((rc = av_read_frame(in.get(), pkt.get())) >= 0) {
    if (pkt->stream_index == vi) send(video, pkt.get());
    else if (pkt->stream_index == ai) send(audio, pkt.get());
    av_packet_unref(pkt.get());
  }
  if (rc != AVERROR_EOF) bad("read error", rc);
  if (vi >= 0) send(video, nullptr);
  if (ai >= 0) send(audio, nullptr);

  try {
    sampler.finish();
  } catch (const Error& e) {
    AVR_FAIL("video ", path, ": ", e.what());
  }
  AVR_CHECK(vi < 0 || info.source_frames > 0, path, ": no video frame could be decoded",
            log_suffix());
  if (info.rotation == 90 || info.rotation == 270) std::swap(info.width, info.height);
  Audio out;
  try {
    if (ai >= 0) out = downmix.finish();
  } catch (const Error& e) {
    AVR_FAIL("video ", path, ": ", e.what());
  }
  if (ai >= 0)
    AVR_CHECK(!out.samples.empty(), path, ": its audio stream holds no decodable samples");
  if (info_out) *info_out = info;
  return out;
}

DecodedVideo read_video(const std::filesystem::path& path, const DecodeSettings& settings) {
  DecodedVideo v;
  v.audio = decode_video(
      path, settings, [&](int64_t, const Image& im) { v.frames.push_back(im); }, &v.info);
  return v;
}

}  // namespace avr
