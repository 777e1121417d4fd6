#include "avr/report/wav_bytes.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void put_tag(std::vector<uint8_t>& out, const char* tag) { out.insert(out.end(), tag, tag + 4); }

}  // namespace

std::vector<uint8_t> encode_wav(const Audio& audio) {
  AVR_CHECK(audio.channels >= 1 && audio.channels <= 16 && audio.sample_rate > 0,
            "encode_wav: audio has ", audio.channels, " channels at ", audio.sample_rate, " Hz");
  AVR_CHECK(audio.samples.size() % audio.channels == 0, "encode_wav: ", audio.samples.size(),
            " samples do not divide into ", audio.channels, " channels");
  const uint64_t data_bytes = audio.samples.size() * 2;
  AVR_CHECK(data_bytes + 36 <= UINT32_MAX, "encode_wav: clip too long for a WAV file");
  std::vector<uint8_t> out;
  out.reserve(44 + data_bytes);
  put_tag(out, "RIFF");
  put_u32(out, static_cast<uint32_t>(36 + data_bytes));
  put_tag(out, "WAVE");
  put_tag(out, "fmt ");
  put_u32(out, 16);
  put_u16(out, 1);  // PCM
  put_u16(out, static_cast<uint16_t>(audio.channels));
  put_u32(out, static_cast<uint32_t>(audio.sample_rate));
  put_u32(out, static_cast<uint32_t>(audio.sample_rate * audio.channels * 2));
  put_u16(out, static_cast<uint16_t>(audio.channels * 2));
  put_u16(out, 16);
  put_tag(out, "data");
  put_u32(out, static_cast<uint32_t>(data_bytes));
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    const float s = audio.samples[i];
    AVR_CHECK(std::isfinite(s), "encode_wav: sample ", i, " is not finite");
    const auto v = static_cast<int16_t>(std::lround(std::clamp(s, -1.f, 1.f) * 32767));
    put_u16(out, static_cast<uint16_t>(v));
  }
  return out;
}

}  // namespace avr
