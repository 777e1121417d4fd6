#include "avr/study/paper_reference.h"

namespace avr {
namespace {

RobustnessScores s(double clean, double a, double v, double av) {
  RobustnessScores r;
  r.clean = clean;
  r.attack_audio = a;
  r.attack_visual = v;
  r.attack_both = av;
  return r;
}

PaperReference make() {
  PaperReference p;
  p.attacks = {{"fgsm", s(88.46, 50.00, 25.00, 15.38)},
               {"pgd", s(88.46, 13.46, 1.92, 0.00)},
               {"mim", s(88.46, 6.73, 1.92, 0.00)}};
  p.unimodal_audio = 59.62;
  p.unimodal_visual = 81.73;
  p.fusions = {{"sum", s(88.46, 35.58, 45.19, 3.85)},
               {"concat", s(88.46, 51.92, 45.19, 15.38)},
               {"film", s(83.65, 28.85, 39.42, 3.85)},
               {"gated_sum", s(89.42, 33.65, 44.23, 4.81)},
               {"gated_concat", s(89.42, 45.19, 43.27, 13.46)}};
  p.defenses_fgsm = {{"None", s(88.46, 51.92, 45.19, 15.38)},
                     {"Unimodal A", s(59.62, 0.00, 59.62, 0.00)},
                     {"Unimodal V", s(81.73, 81.73, 11.54, 11.54)},
                     {"PCL", s(83.65, 81.73, 37.50, 36.54)},
                     {"MaxSim", s(89.42, 52.88, 45.19, 31.73)},
                     {"MinSim", s(91.35, 70.19, 46.15, 36.54)},
                     {"ExFMem", s(89.42, 53.85, 50.00, 20.19)},
                     {"MinSim+ExFMem", s(90.38, 73.08, 53.85, 42.31)}};
  p.defenses_mim = {{"None", s(88.46, 20.19, 16.35, 0.00)},
                    {"Unimodal A", s(59.62, 0.00, 59.62, 0.00)},
                    {"Unimodal V", s(81.73, 81.73, 11.54, 11.54)},
                    {"PCL", s(83.65, 79.81, 17.31, 17.31)},
                    {"MaxSim", s(89.42, 25.00, 31.73, 15.38)},
                    {"MinSim+ExFMem", s(90.38, 64.42, 27.88, 18.27)}};
  return p;
}

}  // namespace

const PaperReference& paper_music() {
  static const PaperReference p = make();
  return p;
}

}  // namespace avr
