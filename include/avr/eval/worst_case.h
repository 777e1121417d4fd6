// Per-clip worst case over several attacks, the way AutoAttack reports robust accuracy
// (Croce & Hein, ICML 2020): under a threat (✗A, ✗V, ✗AV) a clip counts as robust only if
// every attack failed on it, so the worst case is never above the best single attack.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "avr/eval/robustness.h"

namespace avr {

struct WorstCase {
  std::vector<std::string> attacks;  // every row combined, "<attack>" or "<source>:<attack>"
  int64_t clips = 0;
  double clean_accuracy = 0;
  std::map<Modality, double> accuracy;         // fraction of clips robust to every attack
  std::map<Modality, std::vector<bool>> robust;  // per clip
  double average() const;                      // over the threats present
};

// Combines every row of every report. The reports must cover the same clips in the same
// order (clip_indices) and carry per-clip results; a threat counts only where every row has
// it. Errors name what differs (e.g. a report cached before per-clip results existed).
// `sources` (optional, one per report) prefixes the row names in `attacks`.
WorstCase worst_case(const std::vector<RobustnessReport>& reports,
                     const std::vector<std::string>& sources = {});

void to_json(nlohmann::json& j, const WorstCase& w);

}  // namespace avr
