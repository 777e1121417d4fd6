#include "avr/eval/scripted_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <set>
#include <sstream>

#include "avr/core/error.h"

namespace avr {
namespace {

constexpr const char* kContract =
    "the contract is forward(audio [B,1,L] float32 in [-1,1], frames [B,3,H,W] float32 in [0,1]) "
    "-> logits [B,C] or (logits, f_a, f_v) (docs/own_models.md)";
constexpr const char* kSplitContract =
    "the optional pair is encode(audio [B,1,L], frames [B,3,H,W]) -> (f_a [B,d_a], f_v [B,d_v]) "
    "and classify(f_a, f_v) -> logits [B,C], with classify(encode(x)) = forward(x)'s logits "
    "(docs/own_models.md)";

// A LibTorch or TorchScript interpreter message on one line: its last non-empty line
// (the interpreter puts the TorchScript traceback first and the error last).
std::string last_line(const std::string& what) {
  std::istringstream in(what);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  const auto start = last.find_first_not_of(" \t");
  last = start == std::string::npos ? std::string() : last.substr(start);
  return last.size() > 300 ? last.substr(0, 300) + "…" : last;
}

std::string shape(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

// The output tensor `what` of `method`: [batch, any] float32 with finite values.
void check_tensor(const std::filesystem::path& path, const torch::Tensor& t, const char* method,
                  const char* what, int64_t batch, const char* contract) {
  AVR_CHECK(t.dim() == 2 && t.size(0) == batch, path.string(), ": ", method, " returned ", what, " ",
            shape(t), " for a batch of ", batch, ", expected [", batch, ", ",
            what[0] == 'l' ? "classes" : "feature dim", "]; ", contract);
  AVR_CHECK(t.scalar_type() == torch::kFloat, path.string(), ": ", method, " returned ", what,
            " of dtype ", t.scalar_type(), ", expected float32; ", contract);
  AVR_CHECK(torch::isfinite(t.detach()).all().item<bool>(), path.string(), ": ", method,
            " returned ", what, " with NaN or infinite values (on inputs in range); ", contract);
}

ForwardOutput checked(const std::filesystem::path& path, const torch::jit::IValue& out,
                      int64_t batch) {
  ForwardOutput r;
  if (out.isTensor()) {
    r.logits = out.toTensor();
  } else {
    AVR_CHECK(out.isTuple() && out.toTupleRef().elements().size() == 3, path.string(),
              ": forward returned ", out.tagKind(),
              out.isTuple() ? " of " + std::to_string(out.toTupleRef().elements().size()) + " values"
                            : std::string(),
              ", expected a tensor of logits or a tuple (logits, f_a, f_v); ", kContract);
    const auto& e = out.toTupleRef().elements();
    const char* names[3] = {"logits", "f_a", "f_v"};
    for (size_t i = 0; i < 3; ++i)
      AVR_CHECK(e[i].isTensor(), path.string(), ": forward's tuple holds ", e[i].tagKind(), " as ",
                names[i], ", expected a tensor; ", kContract);
    r.logits = e[0].toTensor();
    r.features.audio = e[1].toTensor();
    r.features.visual = e[2].toTensor();
    check_tensor(path, r.features.audio, "forward", "f_a", batch, kContract);
    check_tensor(path, r.features.visual, "forward", "f_v", batch, kContract);
  }
  check_tensor(path, r.logits, "forward", "logits", batch, kContract);
  return r;
}

// "name(a: Tensor, b: Tensor)" when `method` takes two tensors, else an error naming it.
void check_two_tensors(const std::filesystem::path& path, const torch::jit::Method& method,
                       const char* contract) {
  const auto& args = method.function().getSchema().arguments();  // self first
  std::string signature;
  for (size_t i = 1; i < args.size(); ++i)
    signature += (i > 1 ? ", " : "") + args[i].name() + ": " + args[i].type()->str();
  bool ok = args.size() == 3;
  for (size_t i = 1; ok && i < args.size(); ++i)
    ok = args[i].type()->isSubtypeOf(*c10::TensorType::get());
  AVR_CHECK(ok, path.string(), ": ", method.name(), "(", signature, ") does not take two tensors; ",
            contract);
}

// The module's encode and classify (feature_model.h), each call's output checked as on load.
class ScriptedFeatures : public FeatureModel {
 public:
  // dim_audio, dim_visual: the feature sizes every encode must give (0: any, for the probe).
  ScriptedFeatures(std::shared_ptr<torch::jit::Module> module, std::filesystem::path path,
                   int64_t num_classes, bool has_audio, bool has_visual, int64_t dim_audio = 0,
                   int64_t dim_visual = 0)
      : module_(std::move(module)),
        path_(std::move(path)),
        num_classes_(num_classes),
        has_audio_(has_audio),
        has_visual_(has_visual),
        dim_audio_(dim_audio),
        dim_visual_(dim_visual) {}

  Features encode(const torch::Tensor& audio, const torch::Tensor& frames) const override {
    const torch::Tensor a = audio.dim() == 2 ? audio.unsqueeze(1) : audio;
    torch::jit::IValue out;
    try {
      out = module_->get_method("encode")({a, frames});
    } catch (const std::exception& e) {
      AVR_FAIL(path_.string(), ": encode(audio ", shape(a), ", frames ", shape(frames), ") failed (",
               last_line(e.what()), "); ", kSplitContract);
    }
    AVR_CHECK(out.isTuple() && out.toTupleRef().elements().size() == 2, path_.string(),
              ": encode returned ", out.tagKind(),
              out.isTuple() ? " of " + std::to_string(out.toTupleRef().elements().size()) + " values"
                            : std::string(),
              ", expected a tuple (f_a, f_v); ", kSplitContract);
    const auto& e = out.toTupleRef().elements();
    const char* names[2] = {"f_a", "f_v"};
    for (size_t i = 0; i < 2; ++i)
      AVR_CHECK(e[i].isTensor(), path_.string(), ": encode's tuple holds ", e[i].tagKind(), " as ",
                names[i], ", expected a tensor; ", kSplitContract);
    Features f;
    f.audio = e[0].toTensor();
    f.visual = e[1].toTensor();
    check_tensor(path_, f.audio, "encode", "f_a", a.size(0), kSplitContract);
    check_tensor(path_, f.visual, "encode", "f_v", a.size(0), kSplitContract);
    AVR_CHECK(dim_audio_ == 0 || (f.audio.size(1) == dim_audio_ && f.visual.size(1) == dim_visual_),
              path_.string(), ": encode gave f_a [·, ", f.audio.size(1), "] and f_v [·, ",
              f.visual.size(1), "], the probe [·, ", dim_audio_, "] and [·, ", dim_visual_, "]");
    return f;
  }

  torch::Tensor classify(const Features& f) const override {
    AVR_ASSERT(f.audio.defined() && f.visual.defined(), "classify takes f_a and f_v");
    torch::jit::IValue out;
    try {
      out = module_->get_method("classify")({f.audio, f.visual});
    } catch (const std::exception& e) {
      AVR_FAIL(path_.string(), ": classify(f_a ", shape(f.audio), ", f_v ", shape(f.visual),
               ") failed (", last_line(e.what()), "); ", kSplitContract);
    }
    AVR_CHECK(out.isTensor(), path_.string(), ": classify returned ", out.tagKind(),
              ", expected a tensor of logits; ", kSplitContract);
    const torch::Tensor logits = out.toTensor();
    check_tensor(path_, logits, "classify", "logits", f.audio.size(0), kSplitContract);
    AVR_CHECK(logits.size(1) == num_classes_, path_.string(), ": classify gives ", logits.size(1),
              " logits, forward ", num_classes_, "; ", kSplitContract);
    return logits;
  }

  bool has_audio() const override { return has_audio_; }
  bool has_visual() const override { return has_visual_; }
  std::string describe() const override { return "TorchScript " + path_.filename().string(); }

 private:
  std::shared_ptr<torch::jit::Module> module_;
  std::filesystem::path path_;
  int64_t num_classes_;
  bool has_audio_, has_visual_;
  int64_t dim_audio_, dim_visual_;
};

}  // namespace

ScriptedModel::ScriptedModel(const std::filesystem::path& path, const torch::Device& device,
                             const ScriptedModelSizes& sizes, int64_t num_classes)
    : path_(path) {
  AVR_CHECK(std::filesystem::is_regular_file(path), "--model ", path.string(), ": no such file");
  try {
    module_ = std::make_shared<torch::jit::Module>(torch::jit::load(path.string(), device));
  } catch (const std::exception& e) {
    AVR_FAIL(path.string(), " is not a TorchScript file (", last_line(e.what()),
             "): save one with torch.jit.script(model).save(path) or torch.jit.trace(model, "
             "(audio, frames)).save(path), or `avr export` an avr checkpoint");
  }
  module_->eval();
  // avr differentiates with respect to the inputs only; with the weights constant, an output
  // that no input under attack reaches is a constant too (defended_model.cpp uses that).
  for (auto p : module_->parameters()) p.requires_grad_(false);
  auto int_attr = [&](const char* name) -> int64_t {
    if (!module_->hasattr(name)) return 0;
    const auto v = module_->attr(name);
    AVR_CHECK(v.isInt(), path.string(), ": attribute ", name, " is ", v.tagKind(), ", expected int");
    return v.toInt();
  };
  image_size_ = sizes.image_size > 0 ? sizes.image_size : int_attr("image_size");
  audio_length_ = sizes.audio_length > 0 ? sizes.audio_length : int_attr("audio_length");
  AVR_CHECK(image_size_ > 0 && audio_length_ > 0, path.string(),
            " records no image_size/audio_length attribute: give the input sizes with "
            "--image-size and --audio-length");
  if (module_->hasattr("classes")) {
    const auto v = module_->attr("classes");
    AVR_CHECK(v.isList(), path.string(), ": attribute classes is ", v.tagKind(), ", expected List[str]");
    for (const auto& c : v.toListRef()) {
      AVR_CHECK(c.isString(), path.string(), ": attribute classes holds ", c.tagKind(),
                ", expected List[str]");
      classes_.push_back(c.toStringRef());
    }
  }
  const bool from_avr = module_->hasattr("avr_config");
  if (from_avr) {
    const auto v = module_->attr("avr_config");
    if (v.isString()) {
      const auto j = nlohmann::json::parse(v.toStringRef(), nullptr, false);
      if (j.is_object() && j.contains("kind")) {
        has_audio_ = j["kind"] != "visual";
        has_visual_ = j["kind"] != "audio";
      }
    }
  }

  const auto method = module_->find_method("forward");
  AVR_CHECK(method.has_value(), path.string(), " has no forward method; ", kContract);
  check_two_tensors(path, *method, kContract);
  const auto encode = module_->find_method("encode"), classify = module_->find_method("classify");
  AVR_CHECK(encode.has_value() == classify.has_value(), path.string(), " has ",
            encode ? "encode but no classify" : "classify but no encode",
            " method: ExFMem and the embeddings need both (a module with neither is attacked "
            "through its forward alone); ", kSplitContract,
            from_avr ? "; a file from an older `avr export`: export the checkpoint again" : "");
  if (encode) {
    check_two_tensors(path, *encode, kSplitContract);
    check_two_tensors(path, *classify, kSplitContract);
  }

  // The probe: zeros are in range for both inputs.
  torch::NoGradGuard no_grad;
  const int64_t batch = 2;
  const auto opts = torch::TensorOptions().device(device);
  const auto audio = torch::zeros({batch, 1, audio_length_}, opts);
  const auto frames = torch::zeros({batch, 3, image_size_, image_size_}, opts);
  torch::jit::IValue out;
  try {
    out = module_->forward({audio, frames});
  } catch (const std::exception& e) {
    AVR_FAIL(path.string(), ": forward(audio [", batch, ",1,", audio_length_, "], frames [", batch,
             ",3,", image_size_, ",", image_size_, "]) of zeros failed (", last_line(e.what()), "); ",
             kContract);
  }
  const ForwardOutput probe = checked(path_, out, batch);
  num_classes_ = probe.logits.size(1);
  gives_features_ = probe.features.audio.defined();
  AVR_CHECK(num_classes == 0 || num_classes_ == num_classes, path.string(), ": forward gives ",
            num_classes_, " logits but the dataset has ", num_classes, " classes");
  AVR_CHECK(num_classes_ >= 2, path.string(), ": forward gives ", num_classes_,
            " logit per clip, expected one per class (≥ 2)");
  if (!encode) return;

  // The split on the same probe: encode's features, classify's logits, and classify(encode(x))
  // equal to forward(x)'s logits within float tolerance (the two paths may order their
  // operations differently).
  ScriptedFeatures unchecked(module_, path_, num_classes_, has_audio_, has_visual_);
  const Features f = unchecked.encode(audio, frames);
  const torch::Tensor logits = unchecked.classify(f);
  const double diff = (logits - probe.logits).abs().max().item<double>();
  const double tolerance = 1e-4 * (1 + probe.logits.abs().max().item<double>());
  AVR_CHECK(diff <= tolerance, path.string(), ": classify(encode(x)) differs from forward(x)'s logits "
            "by up to ", diff, " on the probe (zeros, batch ", batch, "), expected at most ", tolerance,
            ": classify must map encode's features to forward's logits; ", kSplitContract);
  split_ = std::make_shared<ScriptedFeatures>(module_, path_, num_classes_, has_audio_, has_visual_,
                                              f.audio.size(1), f.visual.size(1));
}

ScriptedModel::~ScriptedModel() = default;

ForwardOutput ScriptedModel::forward(const torch::Tensor& audio, const torch::Tensor& frames) const {
  const torch::Tensor a = audio.dim() == 2 ? audio.unsqueeze(1) : audio;
  torch::jit::IValue out;
  try {
    out = module_->forward({a, frames});
  } catch (const std::exception& e) {
    AVR_FAIL(path_.string(), ": forward(audio ", shape(a), ", frames ", shape(frames), ") failed (",
             last_line(e.what()), ")");
  }
  ForwardOutput r = checked(path_, out, a.size(0));
  AVR_CHECK(r.logits.size(1) == num_classes_, path_.string(), ": forward gave ", r.logits.size(1),
            " logits, the probe ", num_classes_);
  return r;
}

std::string ScriptedModel::describe() const {
  return "TorchScript " + path_.filename().string();
}

ModelOnDataset open_scripted_on_dataset(const std::filesystem::path& path, const DatasetSpec& spec,
                                        const torch::Device& device,
                                        const ScriptedModelSizes& sizes) {
  ModelOnDataset m;
  m.spec = spec.resolved();
  const std::vector<std::string> dataset = dataset_classes(m.spec);
  auto model = std::make_shared<ScriptedModel>(path, device, sizes,
                                               static_cast<int64_t>(dataset.size()));
  m.classes = dataset;
  if (!model->classes().empty()) {
    const std::set<std::string> a(dataset.begin(), dataset.end());
    const std::set<std::string> b(model->classes().begin(), model->classes().end());
    AVR_CHECK(a == b && b.size() == model->classes().size(), path.string(),
              ": its classes attribute does not name the dataset's ", dataset.size(),
              " classes; the labels would not mean the same");
    m.classes = model->classes();
  }
  m.clip.image_size = model->image_size();
  m.clip.audio_length = model->audio_length();
  m.metadata = {{"torchscript", path.string()}, {"classes", m.classes}};
  m.forward_model = model;
  return m;
}

}  // namespace avr
