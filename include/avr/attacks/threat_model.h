// Threat model of a multimodal attack (paper Sec. 3.1, Eq. 1): which modality is
// attacked (✗A, ✗V, ✗AV) and its L∞ budget. Budgets are in raw units: audio in
// waveform units in [-1, 1], frames in [0, 1] pixels; EpsSpace::Normalized gives
// the original code's semantics (eps on ImageNet-normalized frames).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace avr {

enum class Modality { Audio, Visual, AudioVisual };  // ✗A, ✗V, ✗AV
enum class EpsSpace { Pixel, Normalized };

// Paper's strengths (authors' README; the captions' 0.12 / 0.06 are typos):
// 0.012 for a single-modality attack, 0.006 per modality for ✗AV.
inline constexpr double kPaperEpsSingle = 0.012;
inline constexpr double kPaperEpsBoth = 0.006;

struct ThreatModel {
  // L∞ budget on the waveform (units of the [-1, 1] signal). Must be 0 when
  // audio is not attacked, so a result's JSON never shows a budget unused.
  double eps_a = 0.0;
  // L∞ budget on frames: [0, 1] pixels for Pixel, normalized units for
  // Normalized (a per-channel pixel budget eps_v · std_c). 0 when not attacked.
  double eps_v = 0.0;
  EpsSpace space = EpsSpace::Pixel;
  Modality modality = Modality::AudioVisual;

  bool attacks_audio() const { return modality != Modality::Visual; }
  bool attacks_visual() const { return modality != Modality::Audio; }

  // Budget of frame channel c in [0, 1] pixels (eps_v · std_c when Normalized).
  double pixel_eps_v(int channel) const;
  // Pixels per attack-space unit on channel c: std_c for Normalized, else 1
  // (the ImageNet std of avr/models/visual_net.h, which the models normalize with).
  double visual_scale(int channel) const;

  // The paper's setting for `m`: eps 0.012 (single modality) or 0.006 (both).
  static ThreatModel paper(Modality m, EpsSpace space = EpsSpace::Pixel);
  // eps on the attacked modality (both for ✗AV), 0 on the other.
  static ThreatModel single_eps(Modality m, double eps, EpsSpace space = EpsSpace::Pixel);

  void validate() const;
  // "✗A eps_a=0.012 (pixel)" — for logs and report tables.
  std::string describe() const;
};

// "audio" | "visual" | "audio_visual"; the parser also takes a, v, av.
std::string to_string(Modality m);
Modality parse_modality(const std::string& s);
// "✗A" | "✗V" | "✗AV", the paper's column names.
std::string paper_label(Modality m);
std::string to_string(EpsSpace s);  // "pixel" | "normalized"
EpsSpace parse_eps_space(const std::string& s);

void to_json(nlohmann::json& j, const ThreatModel& t);
// Missing keys keep their defaults; unknown keys and invalid values throw.
void from_json(const nlohmann::json& j, ThreatModel& t);

}  // namespace avr
