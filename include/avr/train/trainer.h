// Training one model: SGD with per-part learning rates and a step schedule,
// validation each epoch, the best checkpoint kept, and everything needed to
// resume written atomically after every epoch. A resumed run reaches the same
// weights as an uninterrupted one (same thread count): the data order and
// augmentations derive from (seed, epoch), not from a running generator.
//
// Run folder:
//   config.json         TrainConfig + dataset + runtime info
//   last.pt             model after the last finished epoch (metadata: epoch, history)
//   state-<epoch>.pt    optimizer (momentum buffers) and PCL centers of that epoch
//   best.pt             model with the best validation accuracy
//   result.json         written at the end: accuracies, timings
// Adversarial training (loss at-fgsm-rs | at-pgd | trades, see
// avr/train/adversarial_training.h) trains on all but the last monitor clips,
// records the collapse monitor in every epoch's history, last.pt and
// result.json ("adversarial"), and after a collapse rolls back and stops
// ("stopped_early"; a resume then trains no further).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "avr/data/dataset.h"
#include "avr/dist/process_group.h"
#include "avr/train/train_config.h"

namespace avr {

struct TrainOptions {
  bool resume = false;       // continue from last.pt if the run folder has one
  bool quiet = false;        // no progress lines
  int stop_after_epochs = 0; // stop (as if killed) after this many epochs of this call; tests
  // Adversarial training, tests only: replaces each measured monitor accuracy by
  // f(epoch, measured) (epoch 0: the starting model), to exercise the rollback.
  std::function<double(int, double)> fake_monitor_accuracy;
  torch::Device device = torch::kCPU;
  // Data parallelism (null or one process: train alone). Every rank of the group
  // calls train_model with the same config; config.batch_size is the global batch,
  // each rank taking batch_size / ranks clips of it (each clip with its own
  // augmentation stream, as in one process), and the gradients are averaged
  // (dist::GradientReducer) before every step, so the ranks hold the same weights
  // throughout. Only rank 0 validates, prints and writes the run folder; the
  // others read it to resume (a shared folder), so a run resumes on any number
  // of ranks. BatchNorm normalizes each rank's share by its own statistics, as
  // PyTorch's DistributedDataParallel without SyncBatchNorm (and as the authors'
  // DataParallel would); the running statistics are averaged over the ranks
  // after every epoch. Each epoch's history records the ranks and the all-reduce
  // traffic ("data_parallel").
  dist::ProcessGroup* group = nullptr;
  // With a group: true (default) all-reduces each gradient bucket while backward still
  // runs, as DistributedDataParallel; false reduces them all after backward. The two give
  // the same bits. After backward is faster when the ranks share one machine's cores: the
  // all-reduce (Gloo, on the CPU) then takes no core from backward — measured 0.274 s a step
  // against 0.348 s overlapped, AV model on 2 ranks of a 2-core machine (README "Scale-out").
  bool overlap_allreduce = true;
  // BatchNorm layers stay in eval mode while training (the running statistics
  // normalize; none are updated): a model whose step does not depend on how the
  // batch is split, which the data-parallel equality test needs. Tests only.
  bool freeze_batchnorm = false;
};

struct TrainResult {
  std::filesystem::path best_checkpoint, last_checkpoint;
  int epochs_done = 0;
  int best_epoch = 0;
  double best_val_accuracy = 0;
  double test_accuracy = -1;   // best model on the test split (when trained to the end)
  double train_seconds = 0;    // this call's training time
  double clips_per_second = 0;
  nlohmann::json history;      // per epoch: loss, train acc, val acc, seconds, lr
};

TrainResult train_model(TrainConfig config, const DatasetSpec& dataset,
                        const std::filesystem::path& run_dir, const TrainOptions& options);

}  // namespace avr
