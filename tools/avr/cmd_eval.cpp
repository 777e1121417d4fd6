// avr eval: clean accuracy of a checkpoint on a split, overall and per class.
#include <iostream>

#include "avr/core/fs.h"
#include "avr/data/runtime.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/train/accuracy.h"
#include "command.h"
#include "dataset_flags.h"

namespace avr::cli {
namespace {

struct EvalOptions {
  RuntimeFlags runtime;
  DatasetFlags data;
  std::string checkpoint, split = "test", out;
  int64_t batch_size = 32;
  int workers = 2;
};

void run(const EvalOptions& o) {
  apply_runtime_flags(o.runtime);
  const auto device = parse_device(o.runtime.device);
  const auto m = open_model_on_dataset(o.checkpoint, o.data.spec(), device);
  const auto ds = m.split(o.split);
  const auto r = evaluate_accuracy(m.model, ds, m.clip, o.batch_size, device, o.workers,
                                   "eval " + o.split);
  std::cout << "accuracy " << r.accuracy() << " (" << r.correct << "/" << r.clips << ") on "
            << m.spec.name << " " << o.split << "\n";
  for (size_t c = 0; c < r.classes.size(); ++c)
    if (r.class_clips[c])
      std::cout << "  " << r.classes[c] << ": "
                << static_cast<double>(r.class_correct[c]) / r.class_clips[c] << " ("
                << r.class_clips[c] << " clips)\n";
  if (!o.out.empty()) {
    nlohmann::json j = {{"checkpoint", o.checkpoint}, {"split", o.split}, {"dataset", m.spec},
                        {"model", m.model->config()}, {"result", r}, {"runtime", runtime_info()}};
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
       app.add_option("--checkpoint", o->checkpoint, "a .pt written by `avr train`")->required();
       app.add_option("--split", o->split, "train | val | test")->capture_default_str();
       app.add_option("--out", o->out, "write the result as JSON here");
       app.add_option("--batch-size", o->batch_size, "clips per batch")->capture_default_str();
       app.add_option("--workers", o->workers, "loader threads")->capture_default_str();
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
