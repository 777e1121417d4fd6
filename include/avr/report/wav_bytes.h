// WAV bytes in memory, for audio embedded in a page as a data: URI (the media
// module's write_wav goes through a file).
#pragma once

#include <cstdint>
#include <vector>

#include "avr/media/wav.h"

namespace avr {

// 16-bit PCM RIFF/WAVE, interleaved channels; samples clipped to [-1, 1] as
// write_wav does. Non-finite samples are an error, not silence.
std::vector<uint8_t> encode_wav(const Audio& audio);

}  // namespace avr
