// The instrument classes of the embedded dataset: each has a General MIDI sound
// (FluidR3_GM) and a Noto Color Emoji pictogram. Only instruments with both can
// be a class, so MIT-MUSIC's list is followed in part (DATASET.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace avr {

struct Instrument {
  std::string name;    // class = folder name: lowercase, underscores
  int gm_bank = 0;     // 0: melodic programs; 128: the percussion kits
  int gm_program = 0;  // 0-based GM program (the kit number when gm_bank == 128)
  int low_key = 0;     // melodic range, MIDI keys, inclusive (unused for percussion)
  int high_key = 127;
  bool chords = false;               // may play two- or three-note chords
  std::vector<int> percussion_keys;  // GM percussion keys it plays (percussion only)
  uint32_t codepoint = 0;            // Noto Color Emoji pictogram
  std::string emoji_name;            // the Unicode character name

  bool percussion() const { return gm_bank == 128; }
};

// All classes the generator knows, in a fixed order (sorted by name).
const std::vector<Instrument>& instruments();
// Errors name the unknown class and list the known ones.
const Instrument& find_instrument(const std::string& name);
std::vector<std::string> instrument_names();
// "U+1FA97"
std::string codepoint_string(uint32_t codepoint);

}  // namespace avr
