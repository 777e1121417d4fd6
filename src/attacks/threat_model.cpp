#include "avr/attacks/threat_model.h"

#include <cmath>
#include <sstream>

#include "avr/core/error.h"
#include "avr/models/visual_net.h"
#include "avr/core/json_fields.h"

namespace avr {

double ThreatModel::visual_scale(int channel) const {
  AVR_ASSERT(channel >= 0 && channel < 3, "channel ", channel);
  return space == EpsSpace::Normalized ? kImageNetStd[channel] : 1.0;
}

double ThreatModel::pixel_eps_v(int channel) const { return eps_v * visual_scale(channel); }

ThreatModel ThreatModel::single_eps(Modality m, double eps, EpsSpace space) {
  ThreatModel t;
  t.modality = m;
  t.space = space;
  t.eps_a = t.attacks_audio() ? eps : 0.0;
  t.eps_v = t.attacks_visual() ? eps : 0.0;
  return t;
}

ThreatModel ThreatModel::paper(Modality m, EpsSpace space) {
  return single_eps(m, m == Modality::AudioVisual ? kPaperEpsBoth : kPaperEpsSingle, space);
}

void ThreatModel::validate() const {
  AVR_CHECK(std::isfinite(eps_a) && eps_a >= 0.0, "threat model: eps_a must be a finite value >= 0, got ",
            eps_a);
  AVR_CHECK(std::isfinite(eps_v) && eps_v >= 0.0, "threat model: eps_v must be a finite value >= 0, got ",
            eps_v);
  // Budgets past the whole valid range are certainly a unit mistake (e.g. 8
  // meaning 8/255).
  AVR_CHECK(eps_a <= 2.0, "threat model: eps_a=", eps_a,
            " exceeds the whole waveform range [-1, 1]; budgets are in waveform units (paper: 0.012)");
  // The same check in either space: the budget in pixels (eps_v·std_c when
  // normalized) may not exceed the whole pixel range in any channel.
  for (int c = 0; c < 3; ++c)
    AVR_CHECK(pixel_eps_v(c) <= 1.0, "threat model: eps_v=", eps_v, " (", to_string(space), ") is ",
              pixel_eps_v(c), " in pixels on channel ", c,
              ", more than the whole pixel range [0, 1]; ",
              space == EpsSpace::Pixel
                  ? "budgets are in [0, 1] pixel units (8/255 = 0.0314)"
                  : "normalized budgets are in units of the channel's ImageNet std (0.229: the "
                    "paper's 0.012 is 0.0027 pixels)");
  AVR_CHECK(attacks_audio() || eps_a == 0.0, "threat model: eps_a=", eps_a, " but the attack is ",
            paper_label(modality), " (audio untouched); set eps_a to 0 or modality to audio_visual");
  AVR_CHECK(attacks_visual() || eps_v == 0.0, "threat model: eps_v=", eps_v, " but the attack is ",
            paper_label(modality), " (frames untouched); set eps_v to 0 or modality to audio_visual");
}

std::string ThreatModel::describe() const {
  std::ostringstream os;
  os << paper_label(modality);
  if (attacks_audio()) os << " eps_a=" << eps_a;
  if (attacks_visual()) os << " eps_v=" << eps_v << " (" << to_string(space) << ")";
  return os.str();
}

std::string to_string(Modality m) {
  switch (m) {
    case Modality::Audio: return "audio";
    case Modality::Visual: return "visual";
    case Modality::AudioVisual: return "audio_visual";
  }
  AVR_ASSERT(false, "bad Modality");
}

Modality parse_modality(const std::string& s) {
  if (s == "audio" || s == "a") return Modality::Audio;
  if (s == "visual" || s == "v") return Modality::Visual;
  if (s == "audio_visual" || s == "av") return Modality::AudioVisual;
  AVR_FAIL("unknown attacked modality '", s, "': use audio (a), visual (v) or audio_visual (av)");
}

std::string paper_label(Modality m) {
  switch (m) {
    case Modality::Audio: return "✗A";
    case Modality::Visual: return "✗V";
    case Modality::AudioVisual: return "✗AV";
  }
  AVR_ASSERT(false, "bad Modality");
}

std::string to_string(EpsSpace s) { return s == EpsSpace::Pixel ? "pixel" : "normalized"; }

EpsSpace parse_eps_space(const std::string& s) {
  if (s == "pixel") return EpsSpace::Pixel;
  if (s == "normalized") return EpsSpace::Normalized;
  AVR_FAIL("unknown eps space '", s,
           "': use pixel (eps_v in [0,1] pixels) or normalized (the original code's "
           "eps on ImageNet-normalized frames)");
}

void to_json(nlohmann::json& j, const ThreatModel& t) {
  j = nlohmann::json{{"modality", to_string(t.modality)},
                     {"eps_a", t.eps_a},
                     {"eps_v", t.eps_v},
                     {"space", to_string(t.space)}};
}

void from_json(const nlohmann::json& j, ThreatModel& t) {
  JsonFields f(j, "threat model");
  std::string modality = to_string(t.modality), space = to_string(t.space);
  f.read("modality", modality);
  f.read("space", space);
  f.read("eps_a", t.eps_a);
  f.read("eps_v", t.eps_v);
  f.finish();
  t.modality = parse_modality(modality);
  t.space = parse_eps_space(space);
  t.validate();
}

}  // namespace avr
