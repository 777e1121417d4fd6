#include "ffmpeg_util.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

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

}  // namespace avr::ffmpeg
