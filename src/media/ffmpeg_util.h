// Private to avr_media: RAII owners for FFmpeg's AV* objects and error text.
// FFmpeg is linked privately, so nothing outside src/media/ includes this.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace avr::ffmpeg {

struct FormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct FormatOutputDeleter {
  void operator()(AVFormatContext* c) const;  // closes the file, then frees
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

using InputPtr = std::unique_ptr<AVFormatContext, FormatInputDeleter>;
using OutputPtr = std::unique_ptr<AVFormatContext, FormatOutputDeleter>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

FramePtr make_frame();
PacketPtr make_packet();

// FFmpeg's own text for an AVERROR code.
std::string error_text(int code);

// FFmpeg logs through one process-wide callback; ours prints nothing (parallel
// extraction would interleave noise) and keeps the last error-level line of
// the calling thread so our errors can quote it. Installed on first use.
void install_log_capture();
// The last captured line on this thread (empty if none), then clears it.
std::string take_last_log();
// " (ffmpeg: <last line>)" or "" — for the end of an error message.
std::string log_suffix();

// The display matrix of a stream (phones record portrait video as landscape frames
// plus this matrix): the rotation a player applies, in degrees clockwise, in
// [0, 360); 0 when the stream has none. Mirroring in the matrix is not reported.
double display_rotation(const AVStream* stream);
// Writes a display matrix that turns the frames `clockwise_degrees` clockwise.
void set_display_rotation(AVStream* stream, int clockwise_degrees);

}  // namespace avr::ffmpeg
