#include "avr/synth/sound_renderer.h"

#include <fluidsynth.h>

#include <cstdio>
#include <cstring>
#include <mutex>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace avr {
namespace {

constexpr int kMelodicChannel = 0;
constexpr int kDrumChannel = 9;  // GM's percussion channel

// FluidSynth logs to stdout by default. Errors go to stderr; the warnings
// that removing a borrowed soundfont from a synth prints ("No preset found on
// channel N") are expected and dropped.
void fluid_log(int level, const char* message, void*) {
  if (level == FLUID_WARN && std::strncmp(message, "No preset found", 15) == 0) return;
  std::fprintf(stderr, "fluidsynth: %s\n", message);
}

void install_log_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    fluid_set_log_function(FLUID_PANIC, fluid_log, nullptr);
    fluid_set_log_function(FLUID_ERR, fluid_log, nullptr);
    fluid_set_log_function(FLUID_WARN, fluid_log, nullptr);
    fluid_set_log_function(FLUID_INFO, nullptr, nullptr);
    fluid_set_log_function(FLUID_DBG, nullptr, nullptr);
  });
}

}  // namespace

struct SoundRenderer::Fluid {
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* loader = nullptr;  // owns the soundfont
  fluid_sfont_t* sfont = nullptr;

  ~Fluid() {
    if (loader) delete_fluid_synth(loader);  // also unloads the soundfont
    if (settings) delete_fluid_settings(settings);
  }
};

const std::filesystem::path& default_soundfont_path() {
  static const std::filesystem::path p = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
  return p;
}

SoundRenderer::SoundRenderer(const std::filesystem::path& soundfont, int sample_rate)
    : fluid_(std::make_unique<Fluid>()), sample_rate_(sample_rate) {
  install_log_handlers();
  require_file(soundfont, "soundfont (install fluid-soundfont-gm, or pass --soundfont)");
  // One construction at a time: the first new_fluid_synth() fills FluidSynth's
  // global tables without a lock, and the loads share its sample cache anyway.
  static std::mutex construct_mu;
  std::lock_guard<std::mutex> lock(construct_mu);
  Fluid& f = *fluid_;
  f.settings = new_fluid_settings();
  AVR_ASSERT(f.settings, "new_fluid_settings failed");
  fluid_settings_setint(f.settings, "synth.reverb.active", 0);
  fluid_settings_setint(f.settings, "synth.chorus.active", 0);
  fluid_settings_setnum(f.settings, "synth.sample-rate", sample_rate);
  fluid_settings_setint(f.settings, "synth.cpu-cores", 1);
  fluid_settings_setint(f.settings, "synth.threadsafe-api", 0);
  fluid_settings_setint(f.settings, "synth.polyphony", 64);
  // Load only the samples of the presets we select (~3x less CPU than all
  // 142 MiB) and do not mlock them.
  fluid_settings_setint(f.settings, "synth.dynamic-sample-loading", 1);
  fluid_settings_setint(f.settings, "synth.lock-memory", 0);
  f.loader = new_fluid_synth(f.settings);
  AVR_ASSERT(f.loader, "new_fluid_synth failed");
  const int id = fluid_synth_sfload(f.loader, soundfont.c_str(), 0);
  AVR_CHECK(id != FLUID_FAILED, "cannot load soundfont ", soundfont,
            " (is it a complete SF2 file? reinstall fluid-soundfont-gm)");
  f.sfont = fluid_synth_get_sfont_by_id(f.loader, id);
  AVR_ASSERT(f.sfont);
  // The loader keeps every class's preset selected, so its samples stay
  // loaded while the per-render synths select and release it.
  int chan = 0;
  for (const auto& in : instruments()) {
    AVR_CHECK(fluid_sfont_get_preset(f.sfont, in.gm_bank, in.gm_program) != nullptr, "soundfont ",
              soundfont, " has no preset bank ", in.gm_bank, " program ", in.gm_program,
              " for class '", in.name, "'; use a General MIDI soundfont");
    AVR_ASSERT(chan < 16, "more classes than MIDI channels");
    AVR_ASSERT(fluid_synth_program_select(f.loader, chan++, id, in.gm_bank, in.gm_program) ==
               FLUID_OK);
  }
}

SoundRenderer::~SoundRenderer() = default;

std::vector<float> SoundRenderer::render(const Instrument& instrument,
                                         const std::vector<NoteEvent>& events,
                                         int64_t num_samples) {
  AVR_ASSERT(num_samples >= 0);
  Fluid& f = *fluid_;
  fluid_synth_t* synth = new_fluid_synth(f.settings);
  AVR_ASSERT(synth, "new_fluid_synth failed");
  std::vector<float> out;
  try {
    const int id = fluid_synth_add_sfont(synth, f.sfont);
    AVR_ASSERT(id != FLUID_FAILED);
    const int chan = instrument.percussion() ? kDrumChannel : kMelodicChannel;
    AVR_ASSERT(fluid_synth_program_select(synth, chan, id, instrument.gm_bank,
                                          instrument.gm_program) == FLUID_OK);
    const int64_t blocks = (num_samples + kSynthBlock - 1) / kSynthBlock;
    out.assign(static_cast<size_t>(blocks * kSynthBlock), 0.0f);
    std::vector<float> left(kSynthBlock), right(kSynthBlock);
    size_t e = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t at = b * kSynthBlock;
      for (; e < events.size() && events[e].sample <= at; ++e) {
        AVR_ASSERT(events[e].sample % kSynthBlock == 0, "event off the block grid");
        AVR_ASSERT(e == 0 || events[e - 1].sample <= events[e].sample, "events not sorted");
        if (events[e].velocity > 0)
          fluid_synth_noteon(synth, chan, events[e].key, events[e].velocity);
        else
          fluid_synth_noteoff(synth, chan, events[e].key);
      }
      // Mono = (L + R) / 2: some presets (the piano) are stereo sample pairs.
      fluid_synth_write_float(synth, kSynthBlock, left.data(), 0, 1, right.data(), 0, 1);
      for (int i = 0; i < kSynthBlock; ++i) out[at + i] = 0.5f * (left[i] + right[i]);
    }
    out.resize(static_cast<size_t>(num_samples));
    fluid_synth_remove_sfont(synth, f.sfont);  // borrowed: the loader frees it
  } catch (...) {
    fluid_synth_remove_sfont(synth, f.sfont);
    delete_fluid_synth(synth);
    throw;
  }
  delete_fluid_synth(synth);
  return out;
}

}  // namespace avr
