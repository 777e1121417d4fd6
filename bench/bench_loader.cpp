// Does the data loader keep up with training? Times one pass over a split
// with the train transforms (random crop, flip, volume) and the eval ones, for
// 1 and 2 loader workers, next to the cost of each stage on one thread
// (WAV read + window, JPEG read + decode, resize/crop). Compare the clips/s
// with bench_train's training clips/s at the same sizes: the loader's workers
// share the cores with the model, so it must be several times faster.
//   usage: bench_loader DATA_ROOT [image=48] [audio=8192] [threads=2]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

#include "avr/core/timer.h"
#include "avr/data/dataset.h"
#include "avr/data/loader.h"
#include "avr/data/runtime.h"
#include "avr/media/image.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_loader DATA_ROOT [image=48] [audio=8192] [threads=2]\n");
    return 2;
  }
  avr::DatasetSpec spec;
  spec.root = argv[1];
  spec = spec.resolved();
  avr::ClipSettings clip;
  clip.image_size = argc > 2 ? std::atoll(argv[2]) : 48;
  clip.audio_length = argc > 3 ? std::atoll(argv[3]) : 8192;
  avr::set_threads(argc > 4 ? std::atoi(argv[4]) : 2);
  const avr::AvDataset train(spec, "train", avr::dataset_classes(spec));
  const int64_t n = train.size();
  std::printf("%lld train clips, %lld px, %lld samples, %d torch threads\n",
              static_cast<long long>(n), static_cast<long long>(clip.image_size),
              static_cast<long long>(clip.audio_length), avr::threads());

  // Stages, one thread, first 500 clips.
  const int64_t m = std::min<int64_t>(n, 500);
  avr::Timer t;
  for (int64_t i = 0; i < m; ++i) avr::audio_window(train.layout(), train.row(i), clip.audio_length);
  const double wav = t.seconds() / m;
  t.reset();
  for (int64_t i = 0; i < m; ++i) {
    const auto& row = train.row(i);
    avr::read_image(train.layout().frame_path(row, avr::center_frame_index(row.frame_count)));
  }
  const double jpeg = t.seconds() / m;
  t.reset();
  avr::Rng rng(0);
  for (int64_t i = 0; i < m; ++i) avr::load_clip(train.layout(), train.row(i), clip, true, &rng);
  const double whole = t.seconds() / m;
  std::printf("per clip, one thread: wav %.3f ms, jpeg %.3f ms, load_clip(train) %.3f ms "
              "(transforms ≈ %.3f ms)\n",
              wav * 1e3, jpeg * 1e3, whole * 1e3, (whole - wav - jpeg) * 1e3);

  for (bool train_tf : {true, false}) {
    for (int workers : {1, 2}) {
      avr::LoaderSettings ls;
      ls.batch_size = 32;
      ls.shuffle = train_tf;
      ls.train_transforms = train_tf;
      ls.workers = workers;
      avr::BatchLoader loader(train, clip, ls);
      t.reset();
      loader.start_epoch(1);
      int64_t clips = 0;
      while (auto b = loader.next()) clips += b->labels.size(0);
      const double s = t.seconds();
      std::printf("%-5s transforms, %d worker(s): %.2f s per epoch, %.0f clips/s\n",
                  train_tf ? "train" : "eval", workers, s, clips / s);
      std::fflush(stdout);
    }
  }
  return 0;
}
