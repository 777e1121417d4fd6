// A small dataset in the original layout, written by the test itself: each
// clip's audio is a constant equal to its label·0.1 + 0.05 (so a window's
// content is predictable) and each frame a flat color per class.
#pragma once

#include <cmath>
#include <string>

#include "avr/data/dataset.h"
#include "avr/layout/split_csv.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "test_support.h"

namespace avr::test {

inline DatasetSpec write_tiny_dataset(const TempDir& dir, int clips_per_class = 3,
                                      int frame_count = 8, int samples = 11025) {
  const std::vector<std::string> classes = {"cello", "flute"};
  for (const std::string split : {"train", "val", "test"}) {
    std::vector<SplitRow> rows;
    for (size_t c = 0; c < classes.size(); ++c) {
      for (int k = 0; k < clips_per_class; ++k) {
        const std::string id = split + std::to_string(k);
        SplitRow r{"/" + classes[c] + "/" + id + ".wav", "/" + classes[c] + "/" + id + ".mp4",
                   frame_count};
        Audio a;
        a.sample_rate = 11025;
        a.channels = 1;
        a.samples.assign(samples, static_cast<float>(0.1 * c + 0.05));
        write_wav(dir / ("audio/" + classes[c] + "/" + id + ".wav"), a);
        for (int f = 1; f <= frame_count; ++f) {
          Image im(40, 30);
          for (size_t i = 0; i < im.rgb.size(); i += 3) {
            im.rgb[i] = c == 0 ? 200 : 20;
            im.rgb[i + 1] = 100;
            im.rgb[i + 2] = c == 0 ? 20 : 200;
          }
          char name[32];
          std::snprintf(name, sizeof name, "%06d.jpg", f);
          write_jpeg(dir / ("frames/" + classes[c] + "/" + id + ".mp4/" + name), im, 95);
        }
        rows.push_back(r);
      }
    }
    write_split_csv(dir / ("splits/tiny_" + split + ".csv"), rows);
  }
  DatasetSpec spec;
  spec.name = "tiny";
  spec.root = dir.path();
  return spec.resolved();
}

}  // namespace avr::test
