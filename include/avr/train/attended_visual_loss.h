// The localizer's auxiliary training objective: the attended visual feature
// alone must name the clip's class.
//
//   attention_map "local" (the default):  L_att = CE(U ẑ + u, y),   ẑ = Σ_i w_i g_i,
//     g_i the layer2 feature at position i and (U, u) the localizer's
//     local_classifier (Linear(128, C), trained from scratch);
//   attention_map "final":                L_att = CE(W_v z + b, y),  z = Σ_i w_i f_v^i,
//     (W_v, b) the visual half of the Concat classifier (its first 512 input
//     columns, started as the visual-only classifier) and its bias.
// The trainer adds λ·L_att to the CE of the Concat logits
// (TrainConfig::attended_visual_weight, default 1).
//
// Why: the frame shows the sounding instrument and 0–2 pictograms of other
// classes, so the frame alone names the class only about E[1/(k+1)] of the
// time (visual-only test accuracy ≈ 0.5); an attended feature names it every
// time only if the audio-guided weights w pick the sounding instrument's
// positions. The Concat CE alone gives the attention almost no gradient: the
// audio encoder, trained for 8 epochs from scratch on 3000 clips, already
// names the training clips (train accuracy 0.97, test 0.72), so the localizer's
// fine-tune started at loss 0.02 and its map pointed at the instrument in
// 11.5 % of the default profile's 200 test clips. This is the paper's own
// mechanism (Sec. 4.5: the attended feature replaces f_v in the classifier)
// with the visual evidence made to carry the label by itself, as in the
// weakly-supervised attention localizers the paper follows (Tian et al. ECCV
// 2018 [71], Senocak et al. CVPR 2018 [64]). Only the clip's class label is
// used (weak supervision); the ground-truth boxes never are.
//
// Measured on the default profile (one fine-tune epoch from the unimodal
// encoders, 200 test clips, best fixed guess 30.0 %): with the "local"
// attention and λ = 1 the pointing game is 48.0 / 37.5 / 49.5 % for seeds
// 0 / 1 / 2 (accuracy 76.5 / 77.5 / 76.0 %); the "final" attention with this
// loss gave 26.5 %, the "final" attention without it 11.5 %.
#pragma once

#include <torch/types.h>

#include "avr/models/av_model.h"

namespace avr {

// The logits [B,C] of the attended feature alone (see above). An avr::Error
// for a model that is not a localizer or features without the attended
// feature the model's attention_map needs (take them from model.encode()).
torch::Tensor attended_visual_logits(AvModelImpl& model, const Features& f);

// Per-sample L_att [B] (labels [B] int64 class indices).
torch::Tensor attended_visual_loss(AvModelImpl& model, const Features& f, const torch::Tensor& labels);

}  // namespace avr
