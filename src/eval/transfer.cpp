#include "avr/eval/transfer.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr {

RobustnessReport evaluate_transfer(const DefendedModel& source, const DefendedModel& target,
                                   const AvDataset& dataset, const ClipSettings& clip,
                                   const RobustnessSettings& settings, const torch::Device& device,
                                   bool show_progress) {
  const auto& sc = source.model->config();
  const auto& tc = target.model->config();
  AVR_CHECK(sc.image_size == tc.image_size && sc.audio_length == tc.audio_length &&
                sc.num_classes == tc.num_classes,
            "transfer: source and target models take different inputs or classes (source ", sc.image_size,
            " px, ", sc.audio_length, " samples, ", sc.num_classes, " classes; target ", tc.image_size, " px, ",
            tc.audio_length, " samples, ", tc.num_classes, " classes)");
  AvModel(target.model)->eval();

  RobustnessReport out;
  std::map<std::string, size_t> row_of;  // attack → row of `out`
  for (const auto& a : settings.attacks) {
    row_of[a] = out.rows.size();
    AttackRow row;
    row.attack = a + " (transfer)";
    out.rows.push_back(row);
  }
  // The target's clean batch, kept while the source's attacks run on it.
  int64_t batch_first = -1;
  DefendedModel::CleanBatch clean;
  int64_t clean_correct = 0;
  auto hook = [&](const std::string& attack, const ThreatModel& threat, const Batch& b,
                  const torch::Tensor& adv_audio, const torch::Tensor& adv_frames, const torch::Tensor&) {
    torch::NoGradGuard ng;
    const auto labels = b.labels.to(device);
    const int64_t first = b.indices[0].item<int64_t>();
    if (first != batch_first) {
      batch_first = first;
      clean = target.defend_clean(b.audio.to(device), b.frames.to(device));
      const auto ok = target.logits(clean).argmax(1).eq(labels).cpu();
      clean_correct += ok.sum().item<int64_t>();
      for (int64_t i = 0; i < ok.size(0); ++i) {
        out.clean_correct.push_back(ok[i].item<bool>());
        out.clip_indices.push_back(b.indices[i].item<int64_t>());
      }
    }
    // An unattacked input comes back as the clean tensor (on the CPU): pass the cached one so
    // the target reuses its clean branch.
    const auto a = threat.attacks_audio() ? adv_audio.to(device) : clean.audio;
    const auto v = threat.attacks_visual() ? adv_frames.to(device) : clean.frames;
    const auto ok = target.logits(clean, a, v).argmax(1).eq(labels).cpu();
    auto& row = out.rows[row_of.at(attack)];
    row.threat[threat.modality] = threat;
    auto& flags = row.robust[threat.modality];
    for (int64_t i = 0; i < ok.size(0); ++i) flags.push_back(ok[i].item<bool>());
    row.max_linf_audio[threat.modality] = std::max(row.max_linf_audio[threat.modality],
                                                   (adv_audio - b.audio).abs().max().item<double>());
    row.max_linf_frames[threat.modality] = std::max(row.max_linf_frames[threat.modality],
                                                    (adv_frames - b.frames).abs().max().item<double>());
  };
  const RobustnessReport src = evaluate_robustness(source, dataset, clip, settings, device, show_progress, hook);
  AVR_ASSERT(src.clip_indices == out.clip_indices, "transfer: clip order differs from the source run");
  out.clips = src.clips;
  out.clean_accuracy = static_cast<double>(clean_correct) / static_cast<double>(out.clips);
  out.seconds = src.seconds;
  for (auto& row : out.rows) {
    const auto& s = src.row(row.attack.substr(0, row.attack.size() - std::string(" (transfer)").size()));
    row.attack_settings = s.attack_settings;
    row.seconds = s.seconds;
    for (const auto& [m, flags] : row.robust) {
      int64_t n = 0;
      for (bool f : flags) n += f;
      row.accuracy[m] = static_cast<double>(n) / static_cast<double>(out.clips);
    }
  }
  return out;
}

}  // namespace avr
