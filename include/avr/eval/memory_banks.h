// Building ExFMem's memory banks (paper Sec. 3.3.2): clean training features
// of a trained model, one bank per modality, saved next to its weights file (an avr
// checkpoint or a TorchScript module) and reused by later runs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "avr/data/dataset.h"
#include "avr/defenses/exfmem.h"
#include "avr/defenses/memory_bank.h"
#include "avr/eval/feature_model.h"
#include "avr/models/av_model.h"

namespace avr {

// Features of the first clips of the training split (eval transforms, the
// original's "first 1024"), or of a seeded random subset (settings.selection):
// model.encode's f_a [N,d_a] and f_v [N,d_v] as the columns of the audio and visual
// bank. avr::Error for a model without both features.
std::pair<MemoryBank, MemoryBank> build_memory_banks(const FeatureModel& model,
                                                     const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device);
// avr's model, put in eval mode: an audio-visual one (kind av; the localizer's visual
// feature is attended by the audio, so it is refused too).
std::pair<MemoryBank, MemoryBank> build_memory_banks(AvModel model, const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device);

// What banks built from the weights file `weights` (a checkpoint or a TorchScript module)
// over `train` are derived from, as JSON text: the file's SHA-256 (as checkpoint_sha256),
// the training rows' digest and roots, the input transform and the bank settings. (Media
// files rewritten in place under the same names are not seen.)
std::string memory_bank_provenance(const std::filesystem::path& weights, const AvDataset& train,
                                   const ClipSettings& clip, const MemoryBankSettings& settings);

// Loads the banks saved next to `weights` (model.ts → model.bank-audio-first-k1024.pt)
// when their provenance is this file's and training split's, or builds them with `model`,
// the model that file holds, and saves them (saying why on stderr when a saved bank was
// stale or unreadable).
std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& weights,
                                                   const FeatureModel& model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device);
// avr's checkpoint: the same with the checks of build_memory_banks(AvModel, …) and banks of
// avr's feature size (512).
std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& checkpoint,
                                                   AvModel model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device);

}  // namespace avr
