// Renders note events of one General MIDI instrument to mono float audio with
// libfluidsynth's C API (FluidR3_GM soundfont, reverb and chorus off).
//
// Determinism: a FluidSynth instance keeps ~1e-3 of state from what it played
// before, even after all-sounds-off + system reset (measured: the same part
// rendered after another one differs). So every render() uses a fresh synth
// (~40 us) over the soundfont this renderer loaded once: the output depends on
// the events alone, whatever was rendered before and on whichever thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "avr/synth/instruments.h"

namespace avr {

// FluidSynth renders in blocks of this many samples; events land on block
// boundaries so their timing is exact and independent of call sizes.
constexpr int kSynthBlock = 64;

struct NoteEvent {
  int64_t sample = 0;  // a multiple of kSynthBlock
  int key = 60;        // MIDI key
  int velocity = 0;    // 1..127 note-on, 0 note-off
};

const std::filesystem::path& default_soundfont_path();  // FluidR3_GM.sf2 (Debian)

class SoundRenderer {
 public:
  // Loads the soundfont (~0.3 s; later loads in the same process share the
  // sample data); not thread-safe: one renderer per worker thread.
  SoundRenderer(const std::filesystem::path& soundfont, int sample_rate);
  ~SoundRenderer();
  SoundRenderer(const SoundRenderer&) = delete;
  SoundRenderer& operator=(const SoundRenderer&) = delete;

  // `num_samples` of `instrument` playing `events` (sorted by sample; at equal
  // times note-offs first). Notes still sounding at the end are cut there.
  std::vector<float> render(const Instrument& instrument, const std::vector<NoteEvent>& events,
                            int64_t num_samples);
  int sample_rate() const { return sample_rate_; }

 private:
  struct Fluid;  // the FluidSynth handles
  std::unique_ptr<Fluid> fluid_;
  int sample_rate_;
};

}  // namespace avr
