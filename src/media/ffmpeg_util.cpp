#include "ffmpeg_util.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

extern "C" {
#include <libavutil/display.h>
}

#include "avr/core/error.h"

namespace avr::ffmpeg {
namespace {

thread_local std::string t_last_log;

void capture_log(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[1024];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(line, sizeof line, fmt, copy);
  va_end(copy);
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (!s.empty()) t_last_log = s;
}

}  // namespace

void FormatOutputDeleter::operator()(AVFormatContext* c) const {
  if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
  avformat_free_context(c);
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  AVR_CHECK(f, "out of memory allocating an AVFrame");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  AVR_CHECK(p, "out of memory allocating an AVPacket");
  return p;
}

std::string error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

void install_log_capture() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(capture_log); });
}

std::string take_last_log() {
  std::string s;
  s.swap(t_last_log);
  return s;
}

std::string log_suffix() {
  const std::string s = take_last_log();
  return s.empty() ? "" : " (ffmpeg: " + s + ")";
}

// FFmpeg 6.1 moved stream side data into codecpar->coded_side_data.
#define AVR_CODED_SIDE_DATA (LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100))

double display_rotation(const AVStream* stream) {
#if AVR_CODED_SIDE_DATA
  const AVPacketSideData* sd = av_packet_side_data_get(
      stream->codecpar->coded_side_data, stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  const uint8_t* matrix = sd && sd->size >= 9 * sizeof(int32_t) ? sd->data : nullptr;
#else
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (size < 9 * sizeof(int32_t)) matrix = nullptr;
#endif
  if (!matrix) return 0.0;
  // av_display_rotation_get: counterclockwise degrees of the matrix; a player turns
  // the frames by its negation (as the ffmpeg tool's autorotate does).
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0.0;
  double cw = std::fmod(-ccw, 360.0);
  if (cw < 0) cw += 360.0;
  return cw;
}

void set_display_rotation(AVStream* stream, int clockwise_degrees) {
  // Measured with FFmpeg 5.1: the mp4/mov muxer stores the side-data matrix
  // transposed (the inverse rotation) relative to what its demuxer hands back, so
  // the matrix written here is the one that reads back as `clockwise_degrees`
  // clockwise through display_rotation() (FFmpeg's own autorotate convention).
  int32_t matrix[9];
  av_display_rotation_set(matrix, static_cast<double>(clockwise_degrees));
#if AVR_CODED_SIDE_DATA
  AVPacketSideData* sd =
      av_packet_side_data_new(&stream->codecpar->coded_side_data, &stream->codecpar->nb_coded_side_data,
                              AV_PKT_DATA_DISPLAYMATRIX, sizeof matrix, 0);
  AVR_CHECK(sd, "out of memory writing a display matrix");
  std::memcpy(sd->data, matrix, sizeof matrix);
#else
  uint8_t* data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, sizeof matrix);
  AVR_CHECK(data, "out of memory writing a display matrix");
  std::memcpy(data, matrix, sizeof matrix);
#endif
}

}  // namespace avr::ffmpeg
