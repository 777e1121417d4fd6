#include "avr/train/accuracy.h"

#include <torch/torch.h>

#include "avr/core/progress.h"
#include "avr/core/timer.h"

namespace avr {

void to_json(nlohmann::json& j, const AccuracyReport& r) {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < r.classes.size(); ++c)
    per_class[r.classes[c]] = {
        {"clips", r.class_clips[c]},
        {"accuracy", r.class_clips[c] ? static_cast<double>(r.class_correct[c]) / r.class_clips[c]
                                      : 0.0}};
  j = {{"clips", r.clips},
       {"correct", r.correct},
       {"accuracy", r.accuracy()},
       {"per_class", per_class},
       {"seconds", r.seconds}};
}

AccuracyReport evaluate_accuracy(AvModel model, const AvDataset& dataset, const ClipSettings& clip,
                                 int64_t batch_size, const torch::Device& device, int workers,
                                 const std::string& progress_label) {
  const bool was_training = model->is_training();
  model->eval();
  AccuracyReport r = evaluate_logits_accuracy(
      [&](const torch::Tensor& a, const torch::Tensor& v) { return model->forward(a, v); }, dataset,
      clip, batch_size, device, workers, progress_label);
  if (was_training) model->train();
  return r;
}

AccuracyReport evaluate_logits_accuracy(const ClipLogitsFn& logits_of, const AvDataset& dataset,
                                        const ClipSettings& clip, int64_t batch_size,
                                        const torch::Device& device, int workers,
                                        const std::string& progress_label) {
  Timer timer;
  torch::NoGradGuard no_grad;
  LoaderSettings ls;
  ls.batch_size = batch_size;
  ls.workers = workers;
  BatchLoader loader(dataset, clip, ls);
  loader.start_epoch(0);
  AccuracyReport r;
  r.classes = dataset.classes();
  r.class_clips.assign(r.classes.size(), 0);
  r.class_correct.assign(r.classes.size(), 0);
  std::unique_ptr<Progress> progress;
  if (!progress_label.empty())
    progress = std::make_unique<Progress>(progress_label, loader.clips_per_epoch(), "clips");
  while (auto b = loader.next()) {
    auto logits = logits_of(b->audio.to(device), b->frames.to(device));
    auto pred = logits.argmax(1).cpu();
    auto labels = b->labels;
    for (int64_t i = 0; i < labels.size(0); ++i) {
      const int64_t y = labels[i].item<int64_t>();
      const bool ok = pred[i].item<int64_t>() == y;
      r.class_clips[y] += 1;
      r.class_correct[y] += ok;
      r.correct += ok;
    }
    r.clips += labels.size(0);
    if (progress) progress->advance(labels.size(0));
  }
  if (progress) progress->finish();
  r.seconds = timer.seconds();
  return r;
}

}  // namespace avr
