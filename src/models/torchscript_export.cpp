#include "avr/models/torchscript_export.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"

namespace nn = torch::nn;

namespace avr {
namespace {

template <size_t D>
std::string ints(const torch::ExpandingArray<D>& a) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < D; ++i) os << (i ? ", " : "") << (*a)[i];
  os << ']';
  return os.str();
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  std::string s = os.str();
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // a float literal in TorchScript
  return s;
}

// Collects the module's tensors and the TorchScript source of its methods.
class Writer {
 public:
  explicit Writer(torch::jit::Module& m) : m_(m) {}

  // Registers a detached CPU copy under avr's name with '.' → '_'; returns "self.<name>".
  std::string tensor(const std::string& dotted, const torch::Tensor& t, bool buffer) {
    std::string name = dotted;
    for (char& c : name)
      if (c == '.') c = '_';
    AVR_ASSERT(!m_.hasattr(name), "duplicate TorchScript name ", name);
    m_.register_parameter(name, t.detach().to(torch::kCPU).clone(), buffer);
    return "self." + name;
  }
  std::string param(const std::string& n, const torch::Tensor& t) { return tensor(n, t, false); }
  std::string buffer(const std::string& n, const torch::Tensor& t) { return tensor(n, t, true); }
  std::string optional_param(const std::string& n, const torch::Tensor& t) {
    return t.defined() ? param(n, t) : "None";
  }

  // x = conv/bn/... lines, each indented for a method body.
  void line(const std::string& s) { src_ << "        " << s << '\n'; }
  void raw(const std::string& s) { src_ << s << '\n'; }
  std::string source() const { return src_.str(); }

  // `out = op(in)` for one leaf module of the native model.
  void conv1d(const std::string& out, const std::string& in, const std::string& name,
              const nn::Conv1dImpl& c) {
    const auto& o = c.options;
    AVR_ASSERT(c10::get_if<torch::ExpandingArray<1>>(&o.padding()) &&
               c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()), name);
    line(out + " = torch.conv1d(" + in + ", " + param(name + ".weight", c.weight) + ", " +
         optional_param(name + ".bias", c.bias) + ", " + ints(o.stride()) + ", " +
         ints(c10::get<torch::ExpandingArray<1>>(o.padding())) + ", " + ints(o.dilation()) + ", " +
         std::to_string(o.groups()) + ")");
  }
  void conv2d(const std::string& out, const std::string& in, const std::string& name,
              const nn::Conv2dImpl& c) {
    const auto& o = c.options;
    AVR_ASSERT(c10::get_if<torch::ExpandingArray<2>>(&o.padding()) &&
               c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()), name);
    line(out + " = torch.conv2d(" + in + ", " + param(name + ".weight", c.weight) + ", " +
         optional_param(name + ".bias", c.bias) + ", " + ints(o.stride()) + ", " +
         ints(c10::get<torch::ExpandingArray<2>>(o.padding())) + ", " + ints(o.dilation()) + ", " +
         std::to_string(o.groups()) + ")");
  }
  // Eval mode: the running statistics, as torch::nn::BatchNorm in eval().
  template <typename Bn>
  void batch_norm(const std::string& out, const std::string& in, const std::string& name,
                  const Bn& bn) {
    AVR_ASSERT(bn.options.affine() && bn.options.track_running_stats(), name);
    line(out + " = torch.batch_norm(" + in + ", " + param(name + ".weight", bn.weight) + ", " +
         param(name + ".bias", bn.bias) + ", " + buffer(name + ".running_mean", bn.running_mean) +
         ", " + buffer(name + ".running_var", bn.running_var) + ", False, " +
         number(bn.options.momentum().value_or(0.1)) + ", " + number(bn.options.eps()) + ", True)");
  }
  std::string linear(const std::string& in, const std::string& name, const nn::LinearImpl& l) {
    return "torch.linear(" + in + ", " + param(name + ".weight", l.weight) + ", " +
           optional_param(name + ".bias", l.bias) + ")";
  }

 private:
  torch::jit::Module& m_;
  std::ostringstream src_;
};

// audio_features(audio [B,1,L]) → [B,512,T]: AudioNetImpl::feature_map.
void write_audio_net(Writer& w, AudioNetImpl& net) {
  w.raw("    def audio_features(self, x):");
  for (const auto& item : net.features->named_children()) {
    const std::string name = "audio_net.features." + item.key();
    const auto& m = *item.value();
    if (const auto* c = m.as<nn::Conv1d>()) {
      w.conv1d("x", "x", name, *c);
    } else if (const auto* bn = m.as<nn::BatchNorm1d>()) {
      w.batch_norm("x", "x", name, *bn);
    } else if (m.as<nn::ReLU>()) {
      w.line("x = torch.relu(x)");
    } else if (const auto* p = m.as<nn::MaxPool1d>()) {
      const auto& o = p->options;
      w.line("x = torch.max_pool1d(x, " + ints(o.kernel_size()) + ", " + ints(o.stride()) + ", " +
             ints(o.padding()) + ", " + ints(o.dilation()) + ", " +
             (o.ceil_mode() ? "True" : "False") + ")");
    } else {
      AVR_ASSERT(false, "the TorchScript export does not know audio net layer ", name);
    }
  }
  w.line("return x");
}

// BasicBlockImpl::forward.
void write_block(Writer& w, const std::string& x, const std::string& name, BasicBlockImpl& b) {
  w.conv2d("y", x, name + ".conv1", *b.conv1);
  w.batch_norm("y", "y", name + ".bn1", *b.bn1);
  w.line("y = torch.relu(y)");
  w.conv2d("y", "y", name + ".conv2", *b.conv2);
  w.batch_norm("y", "y", name + ".bn2", *b.bn2);
  std::string shortcut = x;
  if (b.downsample) {
    const auto children = b.downsample->children();
    AVR_ASSERT(children.size() == 2, name);
    const auto* c = children[0]->as<nn::Conv2d>();
    const auto* bn = children[1]->as<nn::BatchNorm2d>();
    AVR_ASSERT(c && bn, name);
    w.conv2d("s", x, name + ".downsample.0", *c);
    w.batch_norm("s", "s", name + ".downsample.1", *bn);
    shortcut = "s";
  }
  w.line(x + " = torch.relu(y + " + shortcut + ")");
}

// visual_maps(frames [B,3,H,W] in [0,1]) → (layer2 output, last map):
// VisualNetImpl::layer2_and_feature_map.
void write_visual_net(Writer& w, VisualNetImpl& net) {
  const auto mean = torch::tensor({kImageNetMean[0], kImageNetMean[1], kImageNetMean[2]},
                                  torch::kDouble).to(torch::kFloat).view({1, 3, 1, 1});
  const auto std = torch::tensor({kImageNetStd[0], kImageNetStd[1], kImageNetStd[2]},
                                 torch::kDouble).to(torch::kFloat).view({1, 3, 1, 1});
  w.raw("    def visual_maps(self, frames) -> Tuple[Tensor, Tensor]:");
  w.line("x = (frames - " + w.buffer("imagenet_mean", mean) + ") / " + w.buffer("imagenet_std", std));
  w.conv2d("x", "x", "visual_net.conv1", *net.conv1);
  w.batch_norm("x", "x", "visual_net.bn1", *net.bn1);
  w.line("x = torch.relu(x)");
  w.line("x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1])");
  std::string local;
  int index = 1;
  for (auto* layer : {&net.layer1, &net.layer2, &net.layer3, &net.layer4}) {
    int64_t i = 0;
    for (const auto& child : (*layer)->children()) {
      auto* block = child->as<BasicBlock>();
      AVR_ASSERT(block, "visual net layer", index);
      write_block(w, "x", "visual_net.layer" + std::to_string(index) + "." + std::to_string(i++),
                  *block);
    }
    if (index == 2) w.line("local = x");
    ++index;
  }
  w.line("return local, x");
}

// The localizer's attention (AvModelImpl::attend): returns the attended f_v.
void write_attend(Writer& w, AvModelImpl& m) {
  const auto& c = m.config();
  w.raw("    def attend(self, f_a, local, fmap):");
  w.line("b = fmap.size(0)");
  w.line("fv = torch.flatten(fmap, 2)");
  w.line("q = " + (m.attention_query ? w.linear("f_a", "attention_query", *m.attention_query)
                                     : std::string("f_a")));
  if (m.attention_key) {
    w.line("g = torch.flatten(local, 2)");
    w.line("keys = " + w.linear("g.transpose(1, 2)", "attention_key", *m.attention_key));
    // torch::nn::functional::normalize: x / max(‖x‖₂, 1e-12) along the dim.
    w.line("keys = keys / torch.clamp_min(torch.norm(keys, 2.0, [2], True), 1e-12).expand_as(keys)");
    w.line("qn = q / torch.clamp_min(torch.norm(q, 2.0, [1], True), 1e-12).expand_as(q)");
    w.line("cos = torch.bmm(keys, qn.unsqueeze(2)).squeeze(2)");
    w.line("weights = torch.softmax(cos * " + number(c.attention_temperature) + ", 1)");
  } else {
    w.line("scores = torch.bmm(q.unsqueeze(1), fv).squeeze(1)");
    w.line("weights = torch.softmax(scores * " + number(c.attention_scale) + ", 1)");
  }
  w.line("return torch.bmm(fv, weights.unsqueeze(2)).squeeze(2)");
}

// <name>(f_a, f_v) → logits: the fusion (fusion.cpp) and the linear classifier.
void write_classify(Writer& w, AvModelImpl& m, const std::string& name) {
  const FusionKind fusion = m.config().effective_fusion();
  w.raw("    def " + name + "(self, f_a, f_v):");
  std::string x;
  if (fusion == FusionKind::None) {
    x = m.has_audio() ? "f_a" : "f_v";
  } else if (fusion == FusionKind::Sum) {
    x = "f_a + f_v";
  } else if (fusion == FusionKind::Concat) {
    x = "torch.cat([f_v, f_a], 1)";
  } else if (fusion == FusionKind::Film) {
    auto* f = dynamic_cast<FilmFusion*>(m.fusion.get());
    AVR_ASSERT(f, "film fusion");
    x = w.linear("f_a", "fusion.alpha", *f->alpha) + " * f_v + f_a";
  } else if (fusion == FusionKind::GatedSum || fusion == FusionKind::GatedConcat) {
    auto* f = dynamic_cast<GatedFusion*>(m.fusion.get());
    AVR_ASSERT(f, "gated fusion");
    if (f->gate_a) {
      w.line("g_a = torch.sigmoid(" + w.linear("f_a", "fusion.gate_a", *f->gate_a) + ")");
      w.line("g_v = torch.sigmoid(" + w.linear("f_v", "fusion.gate_v", *f->gate_v) + ")");
    } else {
      w.line("g_a = torch.sigmoid(f_a)");
      w.line("g_v = torch.sigmoid(f_v)");
    }
    x = fusion == FusionKind::GatedConcat ? "torch.cat([g_a * f_v, g_v * f_a], 1)" : "g_a * f_v + g_v * f_a";
  } else {
    AVR_ASSERT(false, "the TorchScript export does not know fusion ", fusion);
  }
  w.line("return " + w.linear(x, "classifier", *m.classifier));
}

}  // namespace

void export_torchscript(AvModel model, const TorchScriptExport& options,
                        const std::filesystem::path& out) {
  torch::NoGradGuard no_grad;
  auto& m = *model;
  const ModelConfig& c = m.config();
  AVR_CHECK(options.classes.empty() ||
                static_cast<int64_t>(options.classes.size()) == c.num_classes,
            "export: ", options.classes.size(), " class names for a model with ", c.num_classes,
            " classes");
  torch::jit::Module ts("avr_" + to_string(c.kind));
  Writer body(ts);
  if (c.has_audio()) write_audio_net(body, *m.audio_net);
  if (c.has_visual()) write_visual_net(body, *m.visual_net);
  if (c.kind == ModelKind::Localizer) write_attend(body, m);
  // The contract's optional encode and classify (docs/own_models.md) for kind av only: the
  // localizer's f_v is attended by the audio (not the frames' own feature, and avr's ExFMem
  // refuses it), a unimodal model has one feature. Their head keeps another name, so that a
  // loader does not take it for half of the pair.
  const bool split = c.kind == ModelKind::AudioVisual;
  write_classify(body, m, split ? "classify" : "head");
  const std::string head = split ? "self.classify" : "self.head";
  auto features = [&] {
    if (c.has_audio()) body.line("f_a = torch.amax(self.audio_features(audio), [2])");
    if (c.has_visual()) {
      body.line("local, fmap = self.visual_maps(frames)");
      if (c.kind == ModelKind::Localizer) body.line("f_v = self.attend(f_a, local, fmap)");
      else if (c.visual_pool == "avg") body.line("f_v = torch.mean(fmap, [2, 3])");
      else body.line("f_v = torch.amax(fmap, [2, 3])");
    }
  };
  if (split) {
    body.raw("    def encode(self, audio, frames) -> Tuple[Tensor, Tensor]:");
    features();
    body.line("return f_a, f_v");
  }
  body.raw("    def forward(self, audio, frames):");
  if (split) {
    body.line("f_a, f_v = self.encode(audio, frames)");
  } else {
    features();
  }
  if (c.kind == ModelKind::Audio) body.line("return " + head + "(f_a, f_a)");
  else if (c.kind == ModelKind::Visual) body.line("return " + head + "(f_v, f_v)");
  else body.line("return " + head + "(f_a, f_v), f_a, f_v");

  // define() takes methods at column 0 with `self` first: strip the class indentation.
  std::string code;
  std::istringstream lines(body.source());
  for (std::string l; std::getline(lines, l);) code += (l.rfind("    ", 0) == 0 ? l.substr(4) : l) + "\n";
  try {
    ts.define(code);
  } catch (const c10::Error& e) {
    AVR_ASSERT(false, "the TorchScript export's source does not compile: ", e.what_without_backtrace(),
               "\n", code);
  }
  c10::List<std::string> classes;
  for (const auto& n : options.classes) classes.push_back(n);
  ts.register_attribute("classes", c10::ListType::ofStrings(), classes);
  ts.register_attribute("image_size", c10::IntType::get(), c.image_size);
  ts.register_attribute("audio_length", c10::IntType::get(), c.audio_length);
  ts.register_attribute("avr_config", c10::StringType::get(), nlohmann::json(c).dump());
  ts.eval();
  write_atomic_with(out, [&](const std::filesystem::path& tmp) { ts.save(tmp.string()); });
}

}  // namespace avr
