// Every knob of the embedded dataset generator in one settings struct, with the
// three named profiles (tiny for tests, default = DATASET.md's recipe R3, large
// at the paper's sizes). The chosen values are recorded in the manifest.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace avr {

struct SynthProfile {
  std::string name = "default";
  // Clips per split; classes are balanced (clip i has class i mod #classes).
  int64_t train_clips = 3000;
  int64_t val_clips = 300;
  int64_t test_clips = 300;
  std::vector<std::string> classes;  // empty: every class in instruments()

  // What the models read (recorded for the training code).
  int image_size = 48;          // model input side; stored frames leave room for a train crop
  int64_t audio_length = 8192;  // samples in the audio window around the center frame

  // What is stored.
  int frame_size = 56;      // stored frames are frame_size x frame_size
  int frames_per_clip = 8;  // at `fps`; the audio lasts as long as the frames
  double fps = 8.0;
  int sample_rate = 11025;
  int jpeg_quality = 90;

  // Pictures: one target pictogram and 0..N-1 distractors of other classes.
  std::vector<double> visual_distractor_probs = {0.4, 0.4, 0.2};  // P(0), P(1), P(2) ...
  // Target and distractors share one size range: with targets larger than
  // distractors (0.45-0.65 vs 0.30-0.50) the visual model learned to pick the
  // largest pictogram and reached 92% test accuracy on the default profile,
  // leaving nothing for the audio to add. With equal sizes, only the sound
  // tells which pictogram plays (visual ceiling ~E[1/(k+1)] = 0.67).
  // The range is 0.25-0.40 of the side so that no fixed guess localizes the
  // instrument: at 0.40-0.60 the target's box held the frame's centre in 88%
  // of the test clips (a pictogram wider than half the frame always covers
  // the centre), so a constant guess beat any localizer. With centres spread
  // uniformly over the frame, the best fixed point lies in the box's bound in
  // ~41% of the plans (scene_test's placement property checks <= 50% on
  // generated plans). Smaller pictograms (12-19 px at 48 px) cost the visual
  // model some accuracy, which the fused model's regime tolerates (DATASET.md).
  double target_scale_min = 0.25;  // longer side of the pictogram / frame side
  double target_scale_max = 0.40;
  double distractor_scale_min = 0.25;
  double distractor_scale_max = 0.40;
  double max_rotation_deg = 10.0;      // |angle| at any frame
  double max_spin_deg = 4.0;           // rotation change over the clip
  double motion = 0.08;                // max displacement over the clip, per axis, / frame side
  double max_target_occlusion = 0.25;  // share of the target's box distractors may cover

  // Sound: the target instrument, a distractor of another class, noise.
  double audio_distractor_prob = 1.0;
  double distractor_db_min = -9.0;  // distractor RMS relative to the target's
  double distractor_db_max = 3.0;
  double snr_db_min = 0.0;  // target RMS over noise RMS
  double snr_db_max = 20.0;
  double tempo_bpm_min = 80.0;
  double tempo_bpm_max = 160.0;
  int velocity_min = 60;
  int velocity_max = 120;
  double peak_min = 0.4;  // the mix is scaled to this peak level
  double peak_max = 0.9;

  // Throws avr::Error naming the field and what to change.
  void validate() const;

  int64_t clips(const std::string& split) const;  // "train", "val", "test"
  int64_t total_clips() const { return train_clips + val_clips + test_clips; }
  int64_t audio_samples() const;  // per clip: frames_per_clip / fps seconds
  int max_visual_distractors() const {
    return static_cast<int>(visual_distractor_probs.size()) - 1;
  }
  std::vector<std::string> class_list() const;  // `classes`, or all known ones
};

// "tiny", "default", "large"; errors list the names.
SynthProfile profile_by_name(const std::string& name);
std::vector<std::string> profile_names();

void to_json(nlohmann::json& j, const SynthProfile& p);
// Every key is optional (missing ones keep their value in `p`), unknown keys
// are an error: a typo in a config file must not silently fall back.
void apply_json(SynthProfile& p, const nlohmann::json& j);
void from_json(const nlohmann::json& j, SynthProfile& p);

}  // namespace avr
