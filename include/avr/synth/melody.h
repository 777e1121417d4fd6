// Random parts for one instrument: a melody in a random key and tempo within
// the instrument's range (with occasional chords where the instrument plays
// them), or a rhythm on the percussion keys. Every note gets its note-off.
#pragma once

#include <cstdint>
#include <vector>

#include "avr/core/rng.h"
#include "avr/synth/instruments.h"
#include "avr/synth/sound_renderer.h"

namespace avr {

struct PartStyle {
  double tempo_bpm_min = 80.0;
  double tempo_bpm_max = 160.0;
  int velocity_min = 60;
  int velocity_max = 120;
};

// Events for `num_samples` of audio, on kSynthBlock boundaries, sorted
// (note-offs first at equal times), with at least one note-on.
std::vector<NoteEvent> random_part(const Instrument& instrument, const PartStyle& style,
                                   int64_t num_samples, int sample_rate, Rng& rng);

}  // namespace avr
