// Per-clip worst case over several attacks, the way AutoAttack reports robust accuracy
// (Croce & Hein, ICML 2020): under a threat (✗A, ✗V, ✗AV) a clip counts as robust only if
// the model classifies it correctly clean (the clean input is in the ε-ball) and every
// attack failed on it, so the worst case is never above the clean accuracy or the best
// single attack.
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
  std::map<Modality, double> accuracy;         // fraction of clips correct clean and robust to every attack
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

// The report restricted to its first `n` clips (its order), accuracies recomputed from the
// per-clip flags: lets a run on the first n clips of a split (a smaller limit, same order)
// be combined with it. Needs per-clip results; n ≤ r.clips.
RobustnessReport first_clips(const RobustnessReport& r, int64_t n);

// The worst case as a report row (attack `name`), e.g. to compare it with another attack.
AttackRow as_row(const WorstCase& w, const std::string& name);

}  // namespace avr
