#include "avr/models/original_checkpoint.h"

#include <torch/torch.h>

#include <map>

#include "avr/core/error.h"
#include "avr/models/pytorch_state_dict.h"
#include "state_copy.h"

namespace fs = std::filesystem;

namespace avr {
namespace {

std::map<std::string, torch::Tensor> read_state(const fs::path& path, const char* what) {
  AVR_CHECK(!path.empty(), "the ", what, " checkpoint is missing: give its file (e.g. ", what,
            "_best.pth from the original's training)");
  std::map<std::string, torch::Tensor> state;
  for (auto& [name, t] : read_pytorch_state_dict(path)) state.emplace(name, t);
  return state;
}

// The original's frame net is nn.Sequential(*resnet18.children()[:-1]): index → name.
std::string torchvision_name(const std::string& original, const fs::path& path) {
  static const std::map<std::string, std::string> children = {
      {"0", "conv1"}, {"1", "bn1"}, {"4", "layer1"}, {"5", "layer2"}, {"6", "layer3"}, {"7", "layer4"}};
  const std::string prefix = "features.";
  AVR_CHECK(original.rfind(prefix, 0) == 0, "frame checkpoint ", path, " has tensor '", original,
            "', not under features.*: is it the original's frame_*.pth (a Resnet state_dict)?");
  const auto dot = original.find('.', prefix.size());
  const std::string index = original.substr(prefix.size(), dot - prefix.size());
  const auto it = children.find(index);
  AVR_CHECK(it != children.end() && dot != std::string::npos, "frame checkpoint ", path,
            " has tensor '", original, "': resnet18's child ", index, " has no weights");
  return it->second + original.substr(dot);
}

}  // namespace

const std::vector<std::string>& original_class_order(const std::string& dataset) {
  static const std::vector<std::string> music = {
      "flute", "acoustic_guitar", "accordion", "xylophone", "erhu",    "tuba",
      "saxophone", "cello",       "violin",    "clarinet",  "trumpet"};
  static const std::vector<std::string> ave = {
      "Church_bell", "Male_speech",     "Bark",       "airplane",   "Race_car",   "Female_speech",
      "Helicopter",  "Violin",          "Flute",      "Ukulele",    "Frying",     "Truck",
      "Shofar",      "Motorcycle",      "Chainsaw",   "Acoustic_guitar", "Train_horn", "Clock",
      "Banjo",       "Goat",            "Baby_cry",   "Bus",        "Cat",        "Horse",
      "Toilet_flush", "Rodents",        "Accordion",  "Mandolin"};
  static const std::vector<std::string> kinetics = {
      "laughing",        "playing_clarinet", "singing",          "playing_harmonica",
      "playing_keyboard", "playing_xylophone", "playing_bass_guitar", "tapping_guitar",
      "playing_drums",   "playing_piano",    "ripping_paper",    "playing_saxophone",
      "tickling",        "playing_trumpet",  "tapping_pen",      "playing_organ",
      "tap_dancing",     "playing_accordion", "blowing_nose",    "shuffling_cards",
      "playing_guitar",  "playing_trombone", "playing_bagpipes", "shoveling_snow",
      "bowling",         "playing_violin",   "chopping_wood"};
  if (dataset == "music") return music;
  if (dataset == "ave") return ave;
  if (dataset == "kinetics") return kinetics;
  AVR_FAIL("the original's class order is known for music, ave and kinetics, not '", dataset,
           "': give the classes in the order the model was trained with (--classes)");
}

int64_t original_audio_length(const std::string& dataset) {
  original_class_order(dataset);  // the same names, the same error
  return dataset == "ave" ? 33075 : 65535;
}

AvModel import_original_checkpoints(const OriginalCheckpointFiles& files, int64_t image_size,
                                    int64_t audio_length, int64_t expected_classes) {
  const auto sound = read_state(files.sound, "sound");
  const auto frame = read_state(files.frame, "frame");
  const auto head = read_state(files.classifier, "classifier");

  const auto w = head.find("fc1.weight");
  AVR_CHECK(w != head.end() && head.count("fc1.bias") && head.size() == 2, "classifier checkpoint ",
            files.classifier, " should hold exactly fc1.weight and fc1.bias (the original's "
            "Classifier_Concat); is it classifier_*.pth?");
  AVR_CHECK(w->second.dim() == 2 && w->second.size(1) == 1024, "classifier checkpoint ",
            files.classifier, ": fc1.weight is ", w->second.sizes(),
            ", expected [classes, 1024] (Linear on cat(f_v, f_a))");
  const int64_t classes = w->second.size(0);
  AVR_CHECK(expected_classes <= 0 || classes == expected_classes, "classifier checkpoint ",
            files.classifier, " has ", classes, " classes but the dataset has ", expected_classes,
            ": was it trained on another dataset?");

  ModelConfig c;
  c.kind = ModelKind::AudioVisual;
  c.fusion = FusionKind::Concat;
  c.num_classes = classes;
  c.image_size = image_size;
  c.audio_length = audio_length;
  c.visual_pool = "avg";
  c.validate();
  AvModel model(c);

  detail::apply_state(*model->audio_net, sound, files.sound);
  std::map<std::string, torch::Tensor> renamed;
  for (const auto& [name, t] : frame) renamed.emplace(torchvision_name(name, files.frame), t);
  detail::apply_state(*model->visual_net, renamed, files.frame);
  // avr's Concat classifier is Linear(1024, C) on cat(f_v, f_a), the original's order.
  detail::apply_state(*model->classifier, {{"weight", w->second}, {"bias", head.at("fc1.bias")}},
                      files.classifier);
  model->eval();
  return model;
}

}  // namespace avr
