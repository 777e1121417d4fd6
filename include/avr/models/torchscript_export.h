// avr's own model as a TorchScript module (`avr export`): a file that PyTorch
// (torch.jit.load) and LibTorch load without avr, whose forward follows the
// "own model" contract of docs/own_models.md and avr/eval/scripted_model.h:
//   forward(audio [B,1,L] in [-1,1], frames [B,3,H,W] in [0,1])
//     → (logits [B,C], f_a [B,512], f_v [B,512])   kinds av and localizer
//     → logits [B,C]                                kinds audio and visual
// f_v is the localizer's attended feature. Kind av also gets the contract's optional
// split, which ExFMem and the embeddings need:
//   encode(audio, frames) → (f_a [B,512], f_v [B,512]), classify(f_a, f_v) → logits [B,C]
// with forward = classify(encode(·)). The localizer does not (its f_v is attended by the
// audio: not the frames' own feature, and avr's ExFMem refuses the localizer), nor do the
// unimodal kinds (one feature). Inference only: batch norm uses its running statistics
// (eval mode), as avr evaluates.
//
// How: LibTorch C++ cannot trace or script a torch::nn::Module, but it can build a
// torch::jit::Module and compile TorchScript source into it (Module::define). The
// exporter walks the native model, copies every parameter and buffer into the module
// (flat names: avr's state_dict name with '.' → '_', e.g.
// visual_net_layer1_0_conv1_weight) and writes the forward as TorchScript source that
// calls the same ATen ops with the options it reads from the native modules (stride,
// padding, dilation, eps). The composition (blocks, pooling, fusion, attention) is
// re-typed here from av_model.cpp, visual_net.cpp, audio_net.cpp and fusion.cpp; the
// export tests check logits, features and attack results against the native model so
// that a change there that is not mirrored here fails. Why not a Python script: avr
// export then needs no Python, and the weights go straight from the model in memory
// into the file instead of through a second reader of avr's checkpoint format.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "avr/models/av_model.h"

namespace avr {

struct TorchScriptExport {
  // Recorded as module attributes so that a loader knows the inputs and label order
  // without a dataset: classes (List[str]), image_size, audio_length (int) and
  // avr_config (the ModelConfig as JSON).
  std::vector<std::string> classes;
};

// Writes `model` (any kind, any fusion; its weights copied to the CPU) as a TorchScript
// file at `out`. `classes` empty: none recorded; otherwise its size must be the model's
// class count (avr::Error otherwise).
void export_torchscript(AvModel model, const TorchScriptExport& options,
                        const std::filesystem::path& out);

}  // namespace avr
