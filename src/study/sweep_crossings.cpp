#include "sweep_crossings.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr::study {

double two_standard_errors(int64_t clips) {
  AVR_CHECK(clips > 0, "two_standard_errors needs a clip count > 0, got ", clips);
  return 200.0 * std::sqrt(0.5 / static_cast<double>(clips));
}

std::vector<Crossing> fig3_crossings(const nlohmann::json& points, double clean_audio, double clean_visual,
                                     int64_t clips) {
  const double margin = two_standard_errors(clips);
  std::vector<Crossing> out = {{"a", "AV ✗A", "Unimodal ✓V (clean)", {}},
                               {"b", "AV ✗V", "Unimodal ✓A (clean)", {}},
                               {"c", "AV ✗AV", "the better unimodal model, attacked", {}}};
  for (const auto& pt : points) {
    const double eps = pt.at("eps").get<double>();
    const auto& av = pt.at("concat");
    const double uni_a = pt.at("unimodal_audio").at("attack_audio").get<double>();
    const double uni_v = pt.at("unimodal_visual").at("attack_visual").get<double>();
    const double curve[3] = {av.at("attack_audio").get<double>(), av.at("attack_visual").get<double>(),
                             av.at("attack_both").get<double>()};
    const double reference[3] = {clean_visual, clean_audio, std::max(uni_a, uni_v)};
    for (int k = 0; k < 3; ++k)
      if (!out[k].eps && curve[k] < reference[k] - margin) out[k].eps = eps;
  }
  return out;
}

}  // namespace avr::study
