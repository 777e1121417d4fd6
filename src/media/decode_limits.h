// Private to avr_media: what decode_video refuses as damaged instead of decoding.
// A small damaged file must not ask for unbounded work or memory: one output frame
// per tick fills every gap between source frames, the audio before its first sample
// is filled with silence, and resampling multiplies the audio by the ratio of the
// rates. Found by fuzz/video_fuzz.cpp: a 15 KB AVI whose damaged timestamps emitted
// frames for 14 s (each a JPEG in `avr extract`), and a 41 KB AVI whose header claimed
// 1 Hz audio, 2.4 h of it for 11 kHz output (25 s and 1.5 GB to decode).
#pragma once

namespace avr::ffmpeg {

// A gap between frames, the last frame's duration, or the audio starting after the
// first frame: more than an hour.
constexpr double kMaxGapSeconds = 3600;
// More than a day of video in all.
constexpr double kMaxVideoSeconds = 24 * 3600;
// Audio sampled below 4 kHz: no audio format in use stores it (telephony is 8 kHz,
// FLV's lowest rate 5,512 Hz), so such a rate is a damaged header.
constexpr int kMinAudioRate = 4000;

}  // namespace avr::ffmpeg
