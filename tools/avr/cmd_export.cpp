// avr export: an avr checkpoint as a TorchScript module that PyTorch loads with
// torch.jit.load and that `avr attack --model` accepts (docs/own_models.md).
#include <iostream>

#include "avr/models/checkpoint.h"
#include "avr/models/torchscript_export.h"
#include "command.h"

namespace avr::cli {
namespace {

struct ExportOptions {
  std::string checkpoint, out;
};

void run(const ExportOptions& o) {
  const auto loaded = load_checkpoint(o.checkpoint);
  TorchScriptExport options;
  if (loaded.metadata.contains("classes"))
    options.classes = loaded.metadata.at("classes").get<std::vector<std::string>>();
  export_torchscript(loaded.model, options, o.out);
  const auto& c = loaded.model->config();
  std::cout << "exported a " << c.kind << (c.kind == ModelKind::AudioVisual ? "/" + to_string(c.fusion) : "") << " model ("
            << c.num_classes << " classes, " << c.image_size << " px frames, " << c.audio_length
            << "-sample audio): forward(audio [B,1,L], frames [B,3,H,W]) → "
            << (c.has_audio() && c.has_visual() ? "(logits, f_a, f_v)" : "logits")
            << (c.kind == ModelKind::AudioVisual ? "; encode(audio, frames) → (f_a, f_v), classify(f_a, f_v) → logits "
                                 "(for --exfmem)"
                               : "")
            << "\nwrote " << o.out << "\n";
}

const bool registered = register_command(
    {"export", "an avr checkpoint as TorchScript (torch.jit.load in PyTorch, avr attack --model)", 26,
     [](CLI::App& app) {
       auto o = std::make_shared<ExportOptions>();
       app.footer(
           "The module computes in eval mode (batch norm's running statistics) and records\n"
           "classes, image_size, audio_length and avr_config as attributes; kind av also gets\n"
           "encode and classify (what avr attack --model --exfmem needs). Example:\n"
           "  avr export --checkpoint runs/concat/model.pt --out concat.ts\n"
           "  python3 -c \"import torch; m = torch.jit.load('concat.ts'); print(m.classes)\"");
       app.add_option("--checkpoint", o->checkpoint, "a .pt written by `avr train` or `avr import`")
           ->required()->check(CLI::ExistingFile);
       app.add_option("--out", o->out, "the TorchScript file to write (e.g. model.ts)")->required();
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
