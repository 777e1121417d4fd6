// avr eval: clean accuracy of a checkpoint on a split, overall and per class.
#include <iostream>

#include "avr/core/fs.h"
#include "avr/data/runtime.h"
#include "avr/core/error.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/eval/scripted_model.h"
#include "avr/train/accuracy.h"
#include "command.h"
#include "dataset_flags.h"

namespace avr::cli {
namespace {

struct EvalOptions {
  RuntimeFlags runtime;
  DatasetFlags data;
  std::string checkpoint, model, split = "test", out;
  ScriptedModelSizes sizes;  // --model only
  int64_t batch_size = 32;
  int workers = 2;
};

void run(const EvalOptions& o) {
  apply_runtime_flags(o.runtime);
  const auto device = parse_device(o.runtime.device);
  AVR_CHECK(o.checkpoint.empty() != o.model.empty(),
            "give --checkpoint (an avr model) or --model (a TorchScript module)");
  const auto m = o.model.empty() ? open_model_on_dataset(o.checkpoint, o.data.spec(), device)
                                 : open_scripted_on_dataset(o.model, o.data.spec(), device, o.sizes);
  const auto ds = m.split(o.split);
  const auto forward_model = m.forward_model;
  const auto r =
      forward_model
          ? evaluate_logits_accuracy(
                [&](const torch::Tensor& a, const torch::Tensor& v) {
                  return forward_model->forward(a, v).logits;
                },
                ds, m.clip, o.batch_size, device, o.workers, "eval " + o.split)
          : evaluate_accuracy(m.model, ds, m.clip, o.batch_size, device, o.workers, "eval " + o.split);
  std::cout << "accuracy " << r.accuracy() << " (" << r.correct << "/" << r.clips << ") on "
            << m.spec.name << " " << o.split << "\n";
  for (size_t c = 0; c < r.classes.size(); ++c)
    if (r.class_clips[c])
      std::cout << "  " << r.classes[c] << ": "
                << static_cast<double>(r.class_correct[c]) / r.class_clips[c] << " ("
                << r.class_clips[c] << " clips)\n";
  if (!o.out.empty()) {
    nlohmann::json j = {{"split", o.split}, {"dataset", m.spec}, {"result", r}, {"runtime", runtime_info()}};
    if (m.model) {
      j["checkpoint"] = o.checkpoint;
      j["model"] = m.model->config();
    } else {
      j["torchscript"] = o.model;
      j["model"] = m.forward_model->describe();
    }
    write_file_atomic(o.out, j.dump(2) + "\n");
    std::cout << "wrote " << o.out << "\n";
  }
}

const bool registered = register_command(
    {"eval", "clean accuracy of a checkpoint, overall and per class (JSON with --out)", 30,
     [](CLI::App& app) {
       auto o = std::make_shared<EvalOptions>();
       add_runtime_flags(app, o->runtime);
       add_dataset_flags(app, o->data);
       app.add_option("--checkpoint", o->checkpoint, "a .pt written by `avr train`");
       app.add_option("--model", o->model,
                      "instead of --checkpoint: a TorchScript module (docs/own_models.md)");
       app.add_option("--image-size", o->sizes.image_size,
                      "--model: frame size (default: the module's image_size attribute)");
       app.add_option("--audio-length", o->sizes.audio_length,
                      "--model: waveform samples (default: the module's audio_length attribute)");
       app.add_option("--split", o->split, "train | val | test")->capture_default_str();
       app.add_option("--out", o->out, "write the result as JSON here");
       app.add_option("--batch-size", o->batch_size, "clips per batch")->capture_default_str();
       app.add_option("--workers", o->workers, "loader threads")->capture_default_str();
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
