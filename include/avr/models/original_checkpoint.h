// Imports the checkpoints the paper's authors released (AV-Robustness-CVPR21; what
// their code does is summarised in ORIGINAL.md) into an avr model. Their training
// script saves three PyTorch state_dicts (`torch.save(net.state_dict(), f)`):
//   sound_best.pth       the audio net ANet: features.<N>.* — the names avr's AudioNet uses
//   frame_best.pth       the visual net: features.0 = conv1, .1 = bn1, .4 … .7 = layer1 … 4
//                        (torchvision resnet18's children minus fc; .8 is its avgpool)
//   classifier_best.pth  Classifier_Concat: fc1.weight [C,1024], fc1.bias [C] on cat(f_v, f_a)
// The result is a Concat model whose logits equal the original's on the same clip: frames
// [B,3,H,W] in [0,1] (the original normalises with ImageNet mean/std before its net, avr
// inside), waveform [B,L] in [-1,1] (the original's [B,1,L]). Its visual feature is the
// global *average* pool: the released Resnet keeps torchvision's avgpool inside `features`
// (ModelConfig::visual_pool "avg"), while the paper says max pool.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "avr/models/av_model.h"

namespace avr {

struct OriginalCheckpointFiles {
  std::filesystem::path sound, frame, classifier;
};

// The class order of the original's scripts for "music" (arguments.py's default
// --categories), "ave" and "kinetics" (the eval scripts' --categories): label i of
// an imported classifier is class i of this list. Error for another name.
const std::vector<std::string>& original_class_order(const std::string& dataset);
// The original scripts' waveform length: 65535 samples (AVE: 33075).
int64_t original_audio_length(const std::string& dataset);

// Builds the Concat model (kind "av", fusion "concat", visual_pool "avg") for frames of
// `image_size` px and `audio_length` samples, with num_classes from fc1, and copies
// every tensor of the three files into it: each must hold exactly the tensors its net
// has, with their shapes (BatchNorm running statistics included); errors name the file
// and the tensor. `expected_classes` > 0 must equal fc1's row count.
AvModel import_original_checkpoints(const OriginalCheckpointFiles& files, int64_t image_size,
                                    int64_t audio_length, int64_t expected_classes = 0);

}  // namespace avr
