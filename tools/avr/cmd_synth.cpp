// avr synth: generates the embedded instrument dataset (DATASET.md) in the
// original layout, deterministically from a seed.
#include <iostream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/synth/generator.h"
#include "avr/synth/profile.h"
#include "command.h"
#include "setting_flags.h"

namespace avr::cli {
namespace {

struct SynthOptions {
  std::string profile = "default";
  std::string config;
  // --out, --seed, --jobs, --force, --soundfont, --emoji-font write these directly; the
  // profile is resolved from --profile, --config and the clip counts at run time.
  SynthRequest request;
  int64_t train_clips = 0, val_clips = 0, test_clips = 0;  // 0: the profile's
  bool quiet = false;
  bool print_profile = false;
};

SynthProfile resolve_profile(const SynthOptions& o) {
  SynthProfile p = profile_by_name(o.profile);
  if (!o.config.empty()) {
    try {
      apply_json(p, nlohmann::json::parse(read_text_file(o.config)));
    } catch (const nlohmann::json::exception& e) {
      AVR_FAIL("--config ", o.config, " is not valid JSON: ", e.what());
    } catch (const Error& e) {
      AVR_FAIL("--config ", o.config, ": ", e.what());
    }
  }
  if (o.train_clips > 0) p.train_clips = o.train_clips;
  if (o.val_clips > 0) p.val_clips = o.val_clips;
  if (o.test_clips > 0) p.test_clips = o.test_clips;
  try {
    p.validate();
  } catch (const Error& e) {
    if (o.config.empty()) throw;
    AVR_FAIL("--config ", o.config, " (with the flags): ", e.what());
  }
  return p;
}

void run(const SynthOptions& o) {
  const SynthProfile p = resolve_profile(o);
  if (o.print_profile) {
    std::cout << nlohmann::json(p).dump(2) << "\n";
    return;
  }
  AVR_CHECK(!o.request.out.empty(), "--out is required: the folder to write the dataset to");
  SynthRequest req = o.request;
  req.profile = p;
  req.progress = !o.quiet;
  const SynthResult r = generate_dataset(req);
  std::cout << "wrote " << r.clips << " clips (" << p.train_clips << " train, " << p.val_clips
            << " val, " << p.test_clips << " test; " << r.frames << " frames of " << p.frame_size
            << " px, " << p.audio_samples() << " samples of audio each) to " << req.out.string() << " in "
            << r.seconds << " s with " << r.jobs << " threads\n";
}

const bool registered = register_command(
    {"synth",
     "generate the embedded instrument dataset (sounds from FluidR3_GM, pictograms from Noto "
     "Color Emoji) in the original layout",
     10, [](CLI::App& app) {
       auto o = std::make_shared<SynthOptions>();
       app.footer(
           "Generate a MIT-MUSIC-like dataset: each clip shows and plays one instrument (the "
           "label), shows 0-2 other instruments and plays a quieter other one plus noise, so "
           "neither modality alone is sure. Same --seed and settings give the same bytes for "
           "any --jobs. Writes audio/, frames/, splits/embedded_{train,val,test}.csv, boxes.json "
           "(the sounding instrument's box in every frame), clips.json and manifest.json.\n"
           "Profiles: tiny (tests: 40 px frames, 4096-sample window, 128/64/64 clips), default "
           "(48 px model input stored at 56 px, 8192-sample window, 3000/300/300 clips), large "
           "(224 px input stored at 256 px, 65535-sample window, 50 frames a clip, "
           "5000/500/500 clips: ~4 GB), paper (large's sizes, 400/100/100 clips: the study profile "
           "`paper`, two hours on 2 cores; docs/paper_profile.md).");
       app.add_option("--profile", o->profile, "tiny, default, large or paper")
           ->check(CLI::IsMember(profile_names()))
           ->capture_default_str();
       SynthRequest& req = o->request;
       app.add_option("--out", req.out, "folder to write the dataset to (created if missing)");
       add_setting(app, "--seed", req.seed, "seed of every random choice");
       add_setting(app, "--jobs", req.jobs, "worker threads (0: all cores); never changes the bytes")
           ->check(CLI::NonNegativeNumber);
       app.add_option("--config", o->config,
                      "JSON file overriding profile settings, e.g. {\"snr_db_min\": 5}; see "
                      "--print-profile for every setting");
       app.add_option("--train-clips", o->train_clips, "override the profile's training clips")
           ->check(CLI::PositiveNumber);
       app.add_option("--val-clips", o->val_clips, "override the profile's validation clips")
           ->check(CLI::PositiveNumber);
       app.add_option("--test-clips", o->test_clips, "override the profile's test clips")
           ->check(CLI::PositiveNumber);
       app.add_flag("--force", req.force,
                    "replace the dataset files in a non-empty --out (other files are kept)");
       app.add_flag("--quiet", o->quiet, "no progress line");
       app.add_flag("--print-profile", o->print_profile,
                    "print the resolved settings as JSON and exit");
       app.add_option("--soundfont", req.soundfont,
                      "General MIDI soundfont (default: Debian's FluidR3_GM.sf2)");
       app.add_option("--emoji-font", req.emoji_font,
                      "colour emoji font (default: Debian's NotoColorEmoji.ttf)");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
