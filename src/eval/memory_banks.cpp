#include "avr/eval/memory_banks.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/data/loader.h"

namespace avr {

std::pair<MemoryBank, MemoryBank> build_memory_banks(AvModel model, const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device) {
  AVR_CHECK(model->has_audio() && model->has_visual() && !model->visual_needs_audio(),
            "ExFMem needs an audio-visual model (kind av), not '", model->config().kind, "'");
  settings.validate();
  torch::NoGradGuard ng;
  model->eval();
  LoaderSettings ls;
  ls.batch_size = 32;
  // Random selection draws from every clip; first-k needs only the first k.
  if (settings.selection == BankSelection::kFirst && settings.columns > 0)
    ls.limit = settings.columns;
  BatchLoader loader(train, clip, ls);
  loader.start_epoch(0);
  std::vector<torch::Tensor> fa, fv;
  while (auto b = loader.next()) {
    fa.push_back(model->encode_audio(b->audio.to(device)).cpu());
    fv.push_back(model->encode_visual(b->frames.to(device)).cpu());
  }
  return {MemoryBank::from_features("audio", torch::cat(fa), settings),
          MemoryBank::from_features("visual", torch::cat(fv), settings)};
}

std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& checkpoint,
                                                   AvModel model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device) {
  // The file name carries the bank settings, so a run with other settings
  // builds its own banks instead of reusing ones that do not match.
  std::string tag = to_string(bank_settings.selection) + "-k" + std::to_string(bank_settings.columns);
  if (bank_settings.selection == BankSelection::kRandom) tag += "-s" + std::to_string(bank_settings.seed);
  auto path_for = [&](const std::string& modality) {
    auto p = memory_bank_path(checkpoint, modality);
    return p.replace_filename(p.stem().string() + "-" + tag + ".pt");
  };
  const auto pa = path_for("audio"), pv = path_for("visual");
  MemoryBank a, v;
  if (std::filesystem::exists(pa) && std::filesystem::exists(pv)) {
    a = MemoryBank::load(pa, 512, "audio");
    v = MemoryBank::load(pv, 512, "visual");
  } else {
    std::tie(a, v) = build_memory_banks(model, train, clip, bank_settings, device);
    a.save(pa);
    v.save(pv);
  }
  return std::make_shared<const ExFMem>(MemoryBank("audio", a.matrix().to(device), a.source_rows()),
                                        MemoryBank("visual", v.matrix().to(device), v.source_rows()),
                                        settings);
}

}  // namespace avr
