// Every JSON file avr reads back, on the same arbitrary bytes:
//  - manifest.json of a generated dataset (read_manifest: its profile too);
//  - `avr synth --config FILE` profile overrides (apply_json + validate, handled
//    as cmd_synth does: a JSON error becomes an avr::Error naming the file);
//  - boxes.json, the localization ground truth (read_box_table);
//  - a study step-cache record (StepCache::find: a broken record is recomputed,
//    never an error) and the report tables a found result holds (Table::from_json).
// The study config itself is built from profiles and flags, never read from a
// file; extract.json is only compared as a whole on resume (parsed without
// exceptions); results.json is written, never read back: the study rebuilds it
// from the step records. Not fuzzed: the image_size/audio_length `avr train`
// takes from manifest.json (train/train_config.cpp dataset_input_sizes), whose
// file pulls the training code in.
#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "avr/eval/localization_boxes.h"
#include "avr/report/table.h"
#include "avr/study/step_cache.h"
#include "avr/synth/manifest.h"
#include "avr/synth/profile.h"
#include "fuzz_support.h"
#include "torch_support.h"

namespace {

void synth_config(const std::filesystem::path& path) {
  // tools/avr/cmd_synth.cpp resolve_profile, minus the flags.
  avr::SynthProfile p = avr::profile_by_name("default");
  try {
    avr::apply_json(p, nlohmann::json::parse(avr::read_text_file(path)));
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("--config ", path, " is not valid JSON: ", e.what());
  } catch (const avr::Error& e) {
    AVR_FAIL("--config ", path, ": ", e.what());
  }
  try {
    p.validate();
  } catch (const avr::Error& e) {
    AVR_FAIL("--config ", path, " (with the flags): ", e.what());
  }
}

void step_record(const std::filesystem::path& dir) {
  const avr::StepCache cache(dir);
  const nlohmann::json config = {{"fuzz", 1}};
  const auto result = cache.find("step", config);
  if (!result) return;
  if (result->is_object() && result->contains("tables") && (*result)["tables"].is_object())
    for (const auto& [id, t] : (*result)["tables"].items()) {
      try {
        (void)avr::Table::from_json(t);
      } catch (const avr::Error& e) {
        AVR_FAIL(cache.record_path("step"), ": ", e.what());
      }
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  avr::fuzz::no_torch_backtraces();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using avr::fuzz::expect_clean;
  const auto manifest = avr::fuzz::write_input(data, size, "manifest.json");
  expect_clean(manifest, [&] { (void)avr::read_manifest(manifest); });
  expect_clean(manifest, [&] { synth_config(manifest); });
  expect_clean(manifest, [&] { (void)avr::read_box_table(manifest); });
  const auto steps = avr::fuzz::work_dir() / "steps";
  std::filesystem::create_directories(steps);
  const avr::StepCache cache(steps);
  const auto record = avr::fuzz::write_input(data, size, "steps/" + cache.record_path("step").filename().string());
  expect_clean(record, [&] { step_record(steps); });
  return 0;
}
