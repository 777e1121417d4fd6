#include "avr/eval/memory_banks.h"

#include <torch/torch.h>

#include <iostream>

#include "avr/core/error.h"
#include "avr/core/sha256.h"
#include "avr/data/loader.h"

namespace avr {

namespace {

void check_av(AvModel& model) {
  AVR_CHECK(model->has_audio() && model->has_visual() && !model->visual_needs_audio(),
            "ExFMem needs an audio-visual model (kind av), not '", model->config().kind, "'");
  model->eval();
}

}  // namespace

std::pair<MemoryBank, MemoryBank> build_memory_banks(const FeatureModel& model,
                                                     const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device) {
  AVR_CHECK(model.has_audio() && model.has_visual(), "ExFMem needs an audio-visual model, and ",
            model.describe(), " has one branch");
  settings.validate();
  torch::NoGradGuard ng;
  LoaderSettings ls;
  ls.batch_size = 32;
  // Random selection draws from every clip; first-k needs only the first k.
  if (settings.selection == BankSelection::kFirst && settings.columns > 0)
    ls.limit = settings.columns;
  BatchLoader loader(train, clip, ls);
  loader.start_epoch(0);
  std::vector<torch::Tensor> fa, fv;
  while (auto b = loader.next()) {
    const Features f = model.encode(b->audio.to(device), b->frames.to(device));
    fa.push_back(f.audio.cpu());
    fv.push_back(f.visual.cpu());
  }
  return {MemoryBank::from_features("audio", torch::cat(fa), settings),
          MemoryBank::from_features("visual", torch::cat(fv), settings)};
}

std::pair<MemoryBank, MemoryBank> build_memory_banks(AvModel model, const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device) {
  check_av(model);
  return build_memory_banks(*native_feature_model(model), train, clip, settings, device);
}

std::string memory_bank_provenance(const std::filesystem::path& weights, const AvDataset& train,
                                   const ClipSettings& clip, const MemoryBankSettings& settings) {
  MemoryBankSettings bank = settings;
  if (bank.selection == BankSelection::kFirst) bank.seed = 0;  // first-k draws nothing
  // One folder however it was spelled (./data, data/, an absolute path).
  auto folder = [](const std::filesystem::path& p) {
    return std::filesystem::weakly_canonical(std::filesystem::absolute(p)).string();
  };
  const nlohmann::json j = {{"checkpoint_sha256", sha256_file(weights)},
                            {"train_split", train.split()},
                            {"train_rows_sha256", train.rows_sha256()},
                            {"audio_root", folder(train.layout().audio_root)},
                            {"frames_root", folder(train.layout().frames_root)},
                            {"clip", clip},
                            {"bank", bank}};
  return j.dump();
}

namespace {

// What differs between two provenances, in words ("other weights", "other training rows, other
// bank settings"); "another provenance" when either is not one avr writes.
std::string provenance_difference(const std::string& saved, const std::string& now) {
  const auto a = nlohmann::json::parse(saved, nullptr, /*allow_exceptions=*/false);
  const auto b = nlohmann::json::parse(now, nullptr, false);
  if (!a.is_object() || !b.is_object()) return "another provenance";
  const std::pair<const char*, const char*> parts[] = {
      {"checkpoint_sha256", "weights"}, {"train_split", "training split"},
      {"train_rows_sha256", "training rows"}, {"audio_root", "audio folder"},
      {"frames_root", "frames folder"}, {"clip", "clip settings"}, {"bank", "bank settings"}};
  std::string what;
  for (const auto& [key, words] : parts)
    if (a.value(key, nlohmann::json()) != b.value(key, nlohmann::json()))
      what += std::string(what.empty() ? "other " : ", other ") + words;
  return what.empty() ? "another provenance" : what;
}

// expected_dim: a saved bank's feature size (0: whatever the weights' encoder gives, which
// the provenance's digest of the weights file pins down).
std::shared_ptr<const ExFMem> load_or_build(const std::filesystem::path& checkpoint,
                                            const FeatureModel& model, const AvDataset& train,
                                            const ClipSettings& clip,
                                            const MemoryBankSettings& bank_settings,
                                            const ExFMemSettings& settings,
                                            const torch::Device& device, int64_t expected_dim) {
  // The file name carries the bank settings, so a run with other settings
  // builds its own banks instead of reusing ones that do not match.
  std::string tag = to_string(bank_settings.selection) + "-k" + std::to_string(bank_settings.columns);
  if (bank_settings.selection == BankSelection::kRandom) tag += "-s" + std::to_string(bank_settings.seed);
  auto path_for = [&](const std::string& modality) {
    auto p = memory_bank_path(checkpoint, modality);
    return p.replace_filename(p.stem().string() + "-" + tag + ".pt");
  };
  const auto pa = path_for("audio"), pv = path_for("visual");
  const std::string provenance = memory_bank_provenance(checkpoint, train, clip, bank_settings);
  // A saved bank is reused only if it was derived from these very weights and
  // training rows; anything else (another model's weights written over the
  // checkpoint, an older or damaged bank file) is rebuilt, and the run says so.
  auto reusable = [&](const std::filesystem::path& path, const char* modality, MemoryBank& bank) {
    if (!std::filesystem::exists(path)) return false;
    try {
      bank = MemoryBank::load(path, expected_dim, modality);
    } catch (const Error& e) {
      std::cerr << "avr: rebuilding memory bank " << path << ": " << e.what() << "\n";
      return false;
    }
    if (bank.provenance() == provenance) return true;
    std::cerr << "avr: rebuilding memory bank " << path << ": it was built from "
              << provenance_difference(bank.provenance(), provenance) << " than " << checkpoint
              << " needs now\n";
    return false;
  };
  MemoryBank a, v;
  const bool ok_a = reusable(pa, "audio", a), ok_v = reusable(pv, "visual", v);
  if (!ok_a || !ok_v) {
    std::tie(a, v) = build_memory_banks(model, train, clip, bank_settings, device);
    a.set_provenance(provenance);
    v.set_provenance(provenance);
    a.save(pa);
    v.save(pv);
  }
  return std::make_shared<const ExFMem>(MemoryBank("audio", a.matrix().to(device), a.source_rows()),
                                        MemoryBank("visual", v.matrix().to(device), v.source_rows()),
                                        settings);
}

}  // namespace

std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& weights,
                                                   const FeatureModel& model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device) {
  return load_or_build(weights, model, train, clip, bank_settings, settings, device, 0);
}

std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& checkpoint,
                                                   AvModel model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device) {
  check_av(model);
  return load_or_build(checkpoint, *native_feature_model(model), train, clip, bank_settings, settings,
                       device, 512);
}

}  // namespace avr
