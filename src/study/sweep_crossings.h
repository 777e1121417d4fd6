// Figure 3's question, answered on a sweep's numbers (internal to src/study):
// at which ε does the Concat model with an attacked input fall below the
// unimodal model it should at least match? One rule, used by the sweep (to mark
// ε* on the charts) and by the findings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "avr/study/study_results.h"

namespace avr::study {

// Two standard errors of the difference of two accuracies (percent) measured on
// `clips` clips each, at worst (p = 0.5): 2·sqrt(2·0.25/n)·100. Differences
// smaller than this are within chance.
double two_standard_errors(int64_t clips);

struct Crossing {
  std::string panel;      // "a", "b", "c"
  std::string curve;      // e.g. "AV ✗A"
  std::string reference;  // e.g. "Unimodal ✓V (clean)"
  // The smallest swept ε at which curve < reference − two_standard_errors(clips);
  // empty when the curve never fell that far below within the sweep.
  std::optional<double> eps;
};

// `points`: the sweep's points of one attack, in increasing ε. Panels: (a) AV ✗A vs the clean visual model; (b) AV ✗V
// vs the clean audio model; (c) AV ✗AV vs the better unimodal model under the
// same attack on its own input (the paper's "✗AV vs ✗unimodal V").
std::vector<Crossing> fig3_crossings(const std::vector<SweepPoint>& points, double clean_audio, double clean_visual,
                                     int64_t clips);

}  // namespace avr::study
