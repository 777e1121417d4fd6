// The paper's MIT-MUSIC numbers (Tables 1, 2, 3 and 6), shown next to a study's
// own tables so a reader compares like with like. Accuracies in percent.
#pragma once

#include <map>
#include <string>

#include "avr/defenses/robustness_index.h"

namespace avr {

struct PaperReference {
  // Table 1 (MUSIC): concat model per attack; eps 0.012 (✗A, ✗V) / 0.006 (✗AV).
  std::map<std::string, RobustnessScores> attacks;  // fgsm, pgd, mim
  double unimodal_audio = 0, unimodal_visual = 0;
  // Table 2 (MUSIC, FGSM): per fusion.
  std::map<std::string, RobustnessScores> fusions;  // sum, concat, film, gated_sum, gated_concat
  // Tables 3 (FGSM) and 6 (MIM), eps 0.006: per defense row name.
  std::map<std::string, RobustnessScores> defenses_fgsm, defenses_mim;
};

// The numbers as printed (Table 1's FGSM row lists ✗A 50.00 where Table 3's
// None row lists 51.92; each table is reproduced as printed).
const PaperReference& paper_music();

}  // namespace avr
