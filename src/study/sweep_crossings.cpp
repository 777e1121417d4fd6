#include "sweep_crossings.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr::study {

double two_standard_errors(int64_t clips) {
  AVR_CHECK(clips > 0, "two_standard_errors needs a clip count > 0, got ", clips);
  return 200.0 * std::sqrt(0.5 / static_cast<double>(clips));
}

std::vector<Crossing> fig3_crossings(const std::vector<SweepPoint>& points, double clean_audio, double clean_visual,
                                     int64_t clips) {
  const double margin = two_standard_errors(clips);
  std::vector<Crossing> out = {{"a", "AV ✗A", "Unimodal ✓V (clean)", {}},
                               {"b", "AV ✗V", "Unimodal ✓A (clean)", {}},
                               {"c", "AV ✗AV", "the better unimodal model, attacked", {}}};
  for (const auto& pt : points) {
    const double curve[3] = {pt.concat.attack_audio, pt.concat.attack_visual, pt.concat.attack_both};
    const double reference[3] = {clean_visual, clean_audio,
                                 std::max(pt.unimodal_audio.attack_audio, pt.unimodal_visual.attack_visual)};
    for (int k = 0; k < 3; ++k)
      if (!out[k].eps && curve[k] < reference[k] - margin) out[k].eps = pt.eps;
  }
  return out;
}

}  // namespace avr::study
