#include "avr/synth/instruments.h"

#include <cstdio>

#include "avr/core/error.h"

namespace avr {

const std::vector<Instrument>& instruments() {
  // Ranges are the comfortable range of the real instrument, narrowed where
  // FluidR3's samples thin out. Noto draws U+1F3B8 as a red electric guitar,
  // so the guitar sounds as a clean electric one (GM 27), which also keeps it
  // apart from the banjo.
  static const std::vector<Instrument> table = {
      {"accordion", 0, 21, 53, 81, true, {}, 0x1FA97, "ACCORDION"},
      {"banjo", 0, 105, 50, 77, true, {}, 0x1FA95, "BANJO"},
      // kick, snare, toms: no cymbals, which would sound like the maracas
      {"drum",
       128,
       0,
       0,
       127,
       false,
       {35, 36, 38, 40, 41, 43, 45, 47, 48, 50},
       0x1F941,
       "DRUM WITH DRUMSTICKS"},
      {"flute", 0, 73, 60, 93, false, {}, 0x1FA88, "FLUTE"},
      {"guitar", 0, 27, 40, 76, true, {}, 0x1F3B8, "GUITAR"},
      {"maracas", 128, 0, 0, 127, false, {70}, 0x1FA87, "MARACAS"},
      {"piano", 0, 0, 36, 96, true, {}, 0x1F3B9, "MUSICAL KEYBOARD"},
      {"saxophone", 0, 65, 49, 81, false, {}, 0x1F3B7, "SAXOPHONE"},
      {"trumpet", 0, 56, 54, 82, false, {}, 0x1F3BA, "TRUMPET"},
      {"violin", 0, 40, 55, 93, false, {}, 0x1F3BB, "VIOLIN"},
  };
  return table;
}

std::vector<std::string> instrument_names() {
  std::vector<std::string> names;
  for (const auto& i : instruments()) names.push_back(i.name);
  return names;
}

const Instrument& find_instrument(const std::string& name) {
  for (const auto& i : instruments())
    if (i.name == name) return i;
  std::string known;
  for (const auto& i : instruments()) known += (known.empty() ? "" : ", ") + i.name;
  AVR_FAIL("unknown instrument class '", name, "'; the generator knows: ", known);
}

std::string codepoint_string(uint32_t codepoint) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(codepoint));
  return buf;
}

}  // namespace avr
