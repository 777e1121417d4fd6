// avr import: the authors' released checkpoints (three PyTorch state_dicts) as one avr
// checkpoint, so that `avr eval`, `avr attack` and the defenses run on their models.
#include <iostream>

#include "avr/core/sha256.h"
#include "avr/models/checkpoint.h"
#include "avr/models/original_checkpoint.h"
#include "command.h"
#include "list_flags.h"

namespace avr::cli {
namespace {

struct ImportOptions {
  OriginalCheckpointFiles files;
  std::string dataset = "music", classes, out;
  int64_t image_size = 224, audio_length = 0;
};

void run(const ImportOptions& o) {
  const std::vector<std::string> classes =
      o.classes.empty() ? original_class_order(o.dataset) : split_list(o.classes);
  const int64_t audio_length = o.audio_length > 0 ? o.audio_length : original_audio_length(o.dataset);
  AvModel model = import_original_checkpoints(o.files, o.image_size, audio_length,
                                              static_cast<int64_t>(classes.size()));
  const nlohmann::json metadata = {
      {"classes", classes},
      {"imported_from",
       {{"what", "the authors' released checkpoints (AV-Robustness-CVPR21)"},
        {"dataset", o.dataset},
        {"sound", {{"file", o.files.sound.string()}, {"sha256", sha256_file(o.files.sound)}}},
        {"frame", {{"file", o.files.frame.string()}, {"sha256", sha256_file(o.files.frame)}}},
        {"classifier",
         {{"file", o.files.classifier.string()}, {"sha256", sha256_file(o.files.classifier)}}}}}};
  CheckpointOrigin origin;  // what it was derived from: the three released files
  origin.settings = {{"dataset", o.dataset}, {"classes", classes}, {"image_size", o.image_size},
                     {"audio_length", audio_length}};
  for (const char* part : {"sound", "frame", "classifier"})
    origin.parents.push_back({{"role", part}, {"file", metadata["imported_from"][part]["file"]},
                              {"sha256", metadata["imported_from"][part]["sha256"]}});
  save_checkpoint(o.out, model, metadata, origin);
  std::cout << "imported a Concat model (" << classes.size() << " classes, " << o.image_size
            << " px frames, " << audio_length << "-sample audio, average-pooled visual feature as "
            << "the released code computes it)\nwrote " << o.out << "\n";
}

const bool registered = register_command(
    {"import", "the authors' released checkpoints (sound/frame/classifier .pth) as an avr checkpoint",
     25, [](CLI::App& app) {
       auto o = std::make_shared<ImportOptions>();
       app.footer(
           "The original saves three state_dicts per model; give all three. Labels follow the\n"
           "original's class order for --dataset (music, ave, kinetics), recorded in the checkpoint\n"
           "so that `avr eval --dataset music --checkpoint OUT` maps them right. Example:\n"
           "  avr import --sound sound_best.pth --frame frame_best.pth \\\n"
           "             --classifier classifier_best.pth --dataset music --out music_concat.pt");
       app.add_option("--sound", o->files.sound, "the audio net's state_dict (sound_*.pth)")
           ->required()->check(CLI::ExistingFile);
       app.add_option("--frame", o->files.frame, "the visual net's state_dict (frame_*.pth)")
           ->required()->check(CLI::ExistingFile);
       app.add_option("--classifier", o->files.classifier,
                      "the Concat classifier's state_dict (classifier_*.pth)")
           ->required()->check(CLI::ExistingFile);
       app.add_option("--dataset", o->dataset,
                      "whose class order and audio length the model was trained with: music, ave, kinetics")
           ->capture_default_str();
       app.add_option("--classes", o->classes,
                      "comma-separated class names in label order (instead of --dataset's)");
       app.add_option("--image-size", o->image_size, "frame side the model expects (px)")
           ->capture_default_str()->check(CLI::Range(32, 4096));
       app.add_option("--audio-length", o->audio_length,
                      "waveform samples (default: the original's for --dataset: 65535, AVE 33075)")
           ->check(CLI::NonNegativeNumber);
       app.add_option("--out", o->out, "the avr checkpoint to write")->required();
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
