#include "avr/models/checkpoint.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/models/pytorch_state_dict.h"
#include "pickle_scan.h"
#include "state_copy.h"

namespace avr {
namespace {

constexpr const char* kFormat = "avr-checkpoint";
constexpr int64_t kVersion = 1;

// First line of a LibTorch error: the rest is a C++ backtrace.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

struct Contents {
  ModelConfig config;
  nlohmann::json metadata;
  std::map<std::string, torch::Tensor> state;
};

std::vector<char> read_bytes(const fs::path& path) {
  require_file(path, "checkpoint");
  std::ifstream in(path, std::ios::binary);
  AVR_CHECK(in, "cannot open checkpoint ", path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  AVR_CHECK(!bytes.empty(), "checkpoint ", path, " is empty (an interrupted copy?)");
  return bytes;
}

Contents read_contents(const fs::path& path, bool with_state) {
  const auto bytes = read_bytes(path);
  c10::IValue root;
  try {
    // What LibTorch's unpickler would allocate for, checked first (pickle_scan.h).
    if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0) {
      std::istringstream in(std::string(bytes.begin(), bytes.end()));
      caffe2::serialize::PyTorchStreamReader zip(&in);
      if (zip.hasRecord("data.pkl")) {
        auto [data, size] = zip.getRecord("data.pkl");
        const std::string problem =
            detail::pickle_length_problem(static_cast<const char*>(data.get()), size);
        AVR_CHECK(problem.empty(), "checkpoint ", path, " is damaged (", problem, ")");
      }
    }
    root = torch::pickle_load(bytes);
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    AVR_FAIL("checkpoint ", path, " is damaged or not an avr checkpoint (",
             first_line(e.what_without_backtrace()), ")");
  } catch (const std::exception& e) {  // e.g. torch::jit::ErrorReport: a type name it cannot parse
    const std::string why = first_line(e.what());
    AVR_FAIL("checkpoint ", path, " is damaged or not an avr checkpoint (",
             why.empty() ? "its pickle names a type LibTorch cannot parse" : why, ")");
  }
  const std::string bad = "checkpoint " + path.string() + " is not an avr checkpoint";
  AVR_CHECK(root.isGenericDict(), bad, " (no top-level dict)");
  auto dict = root.toGenericDict();
  auto get = [&](const char* key) {
    AVR_CHECK(dict.contains(key), bad, " (no '", key, "' entry)");
    return dict.at(key);
  };
  auto format = get("format");
  AVR_CHECK(format.isString() && format.toStringRef() == kFormat, bad, " (format is not '",
            kFormat, "')");
  auto version = get("version");
  AVR_CHECK(version.isInt() && version.toInt() == kVersion, "checkpoint ", path,
            " has format version ", version, "; this avr reads version ", kVersion);
  Contents c;
  auto text = [&](const char* key) {
    auto v = get(key);
    AVR_CHECK(v.isString(), bad, " ('", key, "' is not a string)");
    return v.toStringRef();
  };
  const std::string config_text = text("config"), metadata_text = text("metadata");
  try {
    from_json(nlohmann::json::parse(config_text), c.config);
    c.metadata = nlohmann::json::parse(metadata_text);
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL(bad, " (its config or metadata is not valid JSON: ", e.what(), ")");
  } catch (const Error& e) {
    AVR_FAIL("checkpoint ", path, " has an invalid model config: ", e.what());
  }
  if (with_state) {
    auto state = get("state_dict");
    AVR_CHECK(state.isGenericDict(), bad, " (state_dict is not a dict)");
    for (const auto& item : state.toGenericDict()) {
      AVR_CHECK(item.key().isString() && item.value().isTensor(), bad,
                " (state_dict holds something else than named tensors)");
      c.state.emplace(item.key().toStringRef(), item.value().toTensor());
    }
  }
  return c;
}

}  // namespace

void save_checkpoint(const fs::path& path, AvModel model, const nlohmann::json& metadata) {
  c10::Dict<std::string, torch::Tensor> state;
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : model->named_parameters(true))
      state.insert(item.key(), item.value().detach().to(torch::kCPU).clone());
    for (const auto& item : model->named_buffers(true))
      state.insert(item.key(), item.value().detach().to(torch::kCPU).clone());
  }
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kFormat));
  root.insert("version", kVersion);
  root.insert("config", nlohmann::json(model->config()).dump());
  root.insert("metadata", metadata.dump());
  root.insert("state_dict", state);
  const std::vector<char> bytes = torch::pickle_save(root);
  write_atomic_with(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    AVR_CHECK(out, "cannot write checkpoint ", tmp);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    AVR_CHECK(out, "cannot write checkpoint ", tmp, " (disk full?)");
  });
}

ModelConfig read_checkpoint_config(const fs::path& path) {
  return read_contents(path, /*with_state=*/false).config;
}

LoadedCheckpoint load_checkpoint(const fs::path& path, const torch::Device& device) {
  auto c = read_contents(path, /*with_state=*/true);
  LoadedCheckpoint out;
  out.model = AvModel(c.config);
  detail::apply_state(*out.model, c.state, path);
  out.model->to(device);
  out.metadata = std::move(c.metadata);
  return out;
}

nlohmann::json load_checkpoint_into(const fs::path& path, AvModel model) {
  auto c = read_contents(path, /*with_state=*/true);
  const std::string diff = model->config().mismatch(c.config);
  AVR_CHECK(diff.empty(), "checkpoint ", path, " was saved for a different model (this model vs "
            "the checkpoint: ", diff, "); build the model from the checkpoint's config instead");
  detail::apply_state(*model, c.state, path);
  return c.metadata;
}

void import_torchvision_resnet18(VisualNet net, const fs::path& path) {
  std::map<std::string, torch::Tensor> state;
  for (auto& [name, t] : read_pytorch_state_dict(path)) state.emplace(name, t);
  AVR_CHECK(state.count("conv1.weight") && state.count("layer4.1.bn2.running_var"),
            path, " does not look like a torchvision resnet18 state_dict (no conv1.weight or "
            "layer4.1.bn2.running_var); save one with torch.save(resnet18(...).state_dict(), f)");
  detail::apply_state(*net, state, path, /*ignored=*/{"fc."});
}

}  // namespace avr
