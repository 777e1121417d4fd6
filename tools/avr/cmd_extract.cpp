// avr extract: raw videos → the original dataset layout (8 fps JPEG frames,
// mono 11025 Hz wav, split CSVs), resumable and parallel over videos.
#include <algorithm>
#include <iostream>
#include <sstream>
#include <thread>

#include "avr/core/error.h"
#include "avr/layout/extract.h"
#include "command.h"

namespace avr::cli {
namespace {

struct ExtractOptions {
  std::string videos;
  std::string out;
  std::string split = "0.8,0.1,0.1";
  ExtractSettings settings;
};

std::array<double, 3> parse_split(const std::string& text) {
  std::array<double, 3> r{};
  std::stringstream ss(text);
  std::string part;
  int n = 0;
  while (std::getline(ss, part, ',')) {
    AVR_CHECK(n < 3, "--split '", text, "': expected three ratios train,val,test");
    try {
      size_t used = 0;
      r[static_cast<size_t>(n)] = std::stod(part, &used);
      AVR_CHECK(used == part.size(), "");
    } catch (...) {
      AVR_FAIL("--split '", text, "': '", part, "' is not a number (e.g. 0.8,0.1,0.1)");
    }
    ++n;
  }
  AVR_CHECK(n == 3, "--split '", text, "': expected three ratios train,val,test, e.g. 0.8,0.1,0.1");
  return r;
}

void run(ExtractOptions& o) {
  o.settings.split = parse_split(o.split);
  if (o.settings.jobs == 0)
    o.settings.jobs = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const ExtractReport r = extract_dataset(o.videos, o.out, o.settings);
  std::cout << "extracted " << r.extracted << " videos, reused " << r.reused
            << " already extracted, " << r.frames << " frames in all → " << o.out << "\n";
  if (!r.failures.empty()) {
    std::cout << "skipped " << r.failures.size() << " of " << r.videos
              << " videos that failed (--skip-bad):\n";
    for (const auto& f : r.failures) std::cout << "  " << f.video << ": " << f.error << "\n";
  }
  const char* names[3] = {"train", "val", "test"};
  for (size_t k = 0; k < 3; ++k) {
    if (r.split_files[k].empty())
      std::cout << names[k] << ": no rows (split too small for this ratio), no file written\n";
    else
      std::cout << names[k] << ": " << r.rows[k] << " rows in " << r.split_files[k].string()
                << "\n";
  }
}

const bool registered = register_command(
    {"extract", "turn raw videos into the original dataset layout (frames, wav, split CSVs)", 10,
     [](CLI::App& app) {
       auto o = std::make_shared<ExtractOptions>();
       ExtractSettings& s = o->settings;
       app.footer(
           "Decodes every <videos>/<class>/<name>.<ext> (any container FFmpeg reads) into\n"
           "  <out>/frames/<class>/<name>.mp4/000001.jpg …  frames sampled at --fps\n"
           "  <out>/audio/<class>/<name>.wav                mono, --sample-rate Hz\n"
           "  <out>/splits/<name>_{train,val,test}.csv      /class/id.wav,/class/id.mp4,frames\n"
           "the layout of MIT-MUSIC, Kinetics-Sounds and AVE. Re-running resumes: videos\n"
           "already extracted are kept, so a killed run loses at most the videos in flight.\n"
           "Example: avr extract --videos raw/ --out data/music --name music --max-side 256");
       app.add_option("--videos", o->videos, "folder of class folders holding the videos")
           ->required();
       app.add_option("--out", o->out, "dataset folder to create or resume (not inside --videos)")
           ->required();
       app.add_option("--name", s.name, "split file prefix: <out>/splits/<name>_train.csv …")
           ->capture_default_str();
       app.add_option("--fps", s.fps, "frames per second to keep (nearest source frame to each tick)")
           ->capture_default_str();
       app.add_option("--sample-rate", s.sample_rate, "audio rate in Hz (all channels averaged)")
           ->capture_default_str();
       app.add_option("--split", o->split,
                      "train,val,test ratios, applied per class (largest-remainder rounding)")
           ->capture_default_str();
       app.add_option("--seed", s.seed, "seed of the split shuffle (same seed, same split)")
           ->capture_default_str();
       app.add_option("--jobs", s.jobs, "videos decoded in parallel (0: one per core)")
           ->capture_default_str()
           ->check(CLI::NonNegativeNumber);
       app.add_option("--max-side,--short-side", s.short_side,
                      "shrink frames so their SHORTER side is N px, keeping the aspect (never "
                      "enlarges; 0 keeps the source size). 256 keeps a dataset small and still "
                      "feeds the 224 px crops")
           ->capture_default_str()
           ->check(CLI::NonNegativeNumber);
       app.add_option("--jpeg-quality", s.jpeg_quality, "JPEG quality of the frames, 1..100")
           ->capture_default_str();
       app.add_option("--max-bad-packets", s.max_bad_packets,
                      "corrupt packets tolerated per video before it counts as failed")
           ->capture_default_str();
       app.add_flag("--skip-bad", s.skip_bad,
                    "leave videos that fail out of the splits (and list them) instead of stopping");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
