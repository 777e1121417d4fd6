#include "avr/models/checkpoint.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/invocation.h"
#include "avr/core/sha256.h"
#include "avr/models/pytorch_state_dict.h"
#include "pickle_scan.h"
#include "state_copy.h"
#include "zip_records.h"

namespace avr {
namespace {

constexpr const char* kFormat = "avr-checkpoint";
// 2: adds "identity" and "sha256" (a digest of every part, checked on load).
constexpr int64_t kVersion = 2;
constexpr int64_t kOldestVersion = 1;

// First line of a LibTorch error: the rest is a C++ backtrace.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

struct Contents {
  ModelConfig config;
  nlohmann::json metadata;
  CheckpointIdentity identity;
  std::map<std::string, torch::Tensor> state;
};

// weights_sha256: one line per tensor, in name order.
std::string weights_digest(const std::map<std::string, std::string>& tensor_digests) {
  std::string lines;
  for (const auto& [name, digest] : tensor_digests) lines += name + '\n' + digest + '\n';
  return sha256_hex(lines);
}

CheckpointOrigin origin_from_json(const nlohmann::json& j) {
  CheckpointOrigin o;
  o.train_split = j.at("train_split").get<std::string>();
  o.train_rows_sha256 = j.at("train_rows_sha256").get<std::string>();
  o.settings = j.at("settings");
  o.parents = j.at("parents");
  AVR_CHECK(o.parents.is_array(), "'parents' is not a list");
  return o;
}

// The checkpoint as a stream: LibTorch's zip reader seeks and reads it in place (reading it into
// memory first cost two copies of a ~51 MB file).
std::ifstream open_checkpoint(const fs::path& path) {
  require_file(path, "checkpoint");
  AVR_CHECK(fs::file_size(path) > 0, "checkpoint ", path, " is empty (an interrupted copy?)");
  std::ifstream in(path, std::ios::binary);
  AVR_CHECK(in, "cannot open checkpoint ", path);
  return in;
}

// LibTorch's unpickler builds each tensor as a view (shape, strides, offset from the
// pickle) of a storage sized by its zip record, without checking that the view fits: a
// tensor reaching past its storage made tensor_sha256 read beyond the buffer
// (fuzz_checkpoint under ASan, 2026-12-01), and would have made a copy into the model too.
bool within_storage(const torch::Tensor& t) {
  if (t.storage_offset() < 0) return false;
  if (t.numel() == 0) return true;
  int64_t last = t.storage_offset();  // index of the furthest element, in elements
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) return false;
    const int64_t reach = (t.size(d) - 1) * t.stride(d);
    if (t.stride(d) != 0 && reach / t.stride(d) != t.size(d) - 1) return false;  // overflow
    if (last > std::numeric_limits<int64_t>::max() - reach) return false;
    last += reach;
  }
  const auto bytes = static_cast<uint64_t>(t.storage().nbytes());
  return static_cast<uint64_t>(last) < bytes / static_cast<uint64_t>(t.element_size());
}

Contents read_contents(const fs::path& path, bool with_state) {
  std::ifstream in = open_checkpoint(path);
  // What LibTorch's zip reader would allocate for, checked first (zip_records.h).
  const std::string zip_problem = detail::zip_records_problem(path);
  AVR_CHECK(zip_problem.empty(), "checkpoint ", path, " is damaged or not an avr checkpoint (", zip_problem, ")");
  c10::IValue root;
  try {
    // What torch::pickle_load does, through another reader: pickle_load's own copies
    // whatever offset the zip's directory names, and a file whose zip64 record puts the
    // central directory at offset 2^64 − 1 (so that offset + size wraps around the
    // file-size check) made it read before its buffer (fuzz_checkpoint, ASan). The
    // istream reader checks every read against the stream's end.
    caffe2::serialize::PyTorchStreamReader zip(&in);
    // What LibTorch's unpickler would allocate for, checked first (pickle_scan.h).
    if (zip.hasRecord("data.pkl")) {
      auto [data, size] = zip.getRecord("data.pkl");
      const std::string problem =
          detail::pickle_problem(static_cast<const char*>(data.get()), size);
      AVR_CHECK(problem.empty(), "checkpoint ", path, " is damaged (", problem, ")");
    }
    root = torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                             /*type_resolver=*/c10::nullopt,
                                             /*obj_loader=*/c10::nullopt, /*device=*/c10::nullopt,
                                             zip);
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
  AVR_CHECK(version.isInt() && version.toInt() >= kOldestVersion && version.toInt() <= kVersion,
            "checkpoint ", path, " has format version ", version, "; this avr reads versions ",
            kOldestVersion, " to ", kVersion);
  const bool verified = version.toInt() >= 2;
  Contents c;
  auto text = [&](const char* key) {
    auto v = get(key);
    AVR_CHECK(v.isString(), bad, " ('", key, "' is not a string)");
    return v.toStringRef();
  };
  // The digests stored at write time (format 2), and the command that rebuilds
  // the file as far as it can be told before anything is verified.
  std::map<std::string, std::string> digests;
  if (verified) {
    auto d = get("sha256");
    AVR_CHECK(d.isGenericDict(), bad, " ('sha256' is not a dict)");
    for (const auto& item : d.toGenericDict()) {
      AVR_CHECK(item.key().isString() && item.value().isString(), bad,
                " ('sha256' holds something else than named digests)");
      digests.emplace(item.key().toStringRef(), item.value().toStringRef());
    }
  }
  const std::string identity_text = verified ? text("identity") : std::string("{}");
  std::string made_by;
  try {
    const auto j = nlohmann::json::parse(identity_text);
    if (j.is_object() && j.contains("made_by") && j["made_by"].is_string()) made_by = j["made_by"];
  } catch (const nlohmann::json::exception&) {
  }
  const std::string damaged = "checkpoint " + path.string() + " is damaged: ";
  const std::string rebuild = "; " + checkpoint_rebuild_hint(made_by);
  auto check_digest = [&](const std::string& part, const std::string& actual) {
    if (!verified) return;
    const std::string what = part.rfind("state_dict/", 0) == 0
                                 ? "tensor '" + part.substr(11) + "'"
                                 : "its " + part;
    auto it = digests.find(part);
    AVR_CHECK(it != digests.end(), damaged, what, " has no stored SHA-256", rebuild);
    AVR_CHECK(it->second == actual, damaged, what,
              " does not match the SHA-256 stored when it was written", rebuild);
  };
  const std::string config_text = text("config"), metadata_text = text("metadata");
  check_digest("config", sha256_hex(config_text));
  check_digest("metadata", sha256_hex(metadata_text));
  check_digest("identity", sha256_hex(identity_text));
  try {
    from_json(nlohmann::json::parse(config_text), c.config);
    c.metadata = nlohmann::json::parse(metadata_text);
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL(bad, " (its config or metadata is not valid JSON: ", e.what(), ")");
  } catch (const Error& e) {
    AVR_FAIL("checkpoint ", path, " has an invalid model config: ", e.what());
  }
  c.identity.config = c.config;
  c.identity.made_by = made_by;
  c.identity.verified = verified;
  if (verified) {
    try {
      const auto j = nlohmann::json::parse(identity_text);
      c.identity.origin = origin_from_json(j);
      c.identity.weights_sha256 = j.at("weights_sha256").get<std::string>();
    } catch (const std::exception& e) {  // nlohmann's errors, or ours
      AVR_FAIL(bad, " (its identity is not what avr writes: ", first_line(e.what()), ")");
    }
  } else {
    std::cerr << "avr: warning: checkpoint " << path << " has format 1 (written before avr "
              << "verified checkpoints): its contents cannot be checked; retrain or re-import it "
              << "to get one that can\n";
  }
  if (with_state) {
    auto state = get("state_dict");
    AVR_CHECK(state.isGenericDict(), bad, " (state_dict is not a dict)");
    std::map<std::string, std::string> tensor_digests;
    for (const auto& item : state.toGenericDict()) {
      AVR_CHECK(item.key().isString() && item.value().isTensor(), bad,
                " (state_dict holds something else than named tensors)");
      const std::string& name = item.key().toStringRef();
      const torch::Tensor& t = item.value().toTensor();
      AVR_CHECK(within_storage(t), damaged, "tensor '", name, "' (shape ", t.sizes(), ", strides ",
                t.strides(), ", offset ", t.storage_offset(), ") reaches past its storage of ",
                t.storage().nbytes(), " bytes", rebuild);
      if (verified) {
        const std::string digest = tensor_sha256(t);
        check_digest("state_dict/" + name, digest);
        tensor_digests.emplace(name, digest);
      }
      c.state.emplace(name, t);
    }
    if (verified) {
      for (const auto& [part, digest] : digests)
        AVR_CHECK(part.rfind("state_dict/", 0) != 0 || c.state.count(part.substr(11)), damaged,
                  "tensor '", part.substr(11), "' is missing from its state_dict", rebuild);
      AVR_CHECK(weights_digest(tensor_digests) == c.identity.weights_sha256, damaged,
                "its tensors do not match the weights digest stored when it was written", rebuild);
    }
  }
  return c;
}

}  // namespace

std::string tensor_sha256(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU).contiguous();
  Sha256 s;
  std::string header = std::string(c10::toString(c.scalar_type())) + "[";
  for (int64_t d : c.sizes()) header += std::to_string(d) + ",";
  header += "]";
  s.update(header.data(), header.size());
  s.update(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  return s.hex();
}

void to_json(nlohmann::json& j, const CheckpointIdentity& id) {
  j = {{"model", id.config},
       {"weights_sha256", id.weights_sha256},
       {"train_split", id.origin.train_split},
       {"train_rows_sha256", id.origin.train_rows_sha256},
       {"settings", id.origin.settings},
       {"parents", id.origin.parents},
       {"made_by", id.made_by}};
}

std::string checkpoint_rebuild_hint(const std::string& made_by) {
  if (!made_by.empty()) return "rebuild it with `" + made_by + "`";
  return "rebuild it with the avr train (or avr import) command that wrote it";
}

void save_checkpoint(const fs::path& path, AvModel model, const nlohmann::json& metadata,
                     const CheckpointOrigin& origin) {
  c10::Dict<std::string, torch::Tensor> state;
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : model->named_parameters(true))
      state.insert(item.key(), item.value().detach().to(torch::kCPU).clone());
    for (const auto& item : model->named_buffers(true))
      state.insert(item.key(), item.value().detach().to(torch::kCPU).clone());
  }
  save_checkpoint_state(path, model->config(), state, metadata, origin);
}

void save_checkpoint_state(const fs::path& path, const ModelConfig& config,
                           const c10::Dict<std::string, torch::Tensor>& state,
                           const nlohmann::json& metadata, const CheckpointOrigin& origin) {
  for (const auto& item : state)
    AVR_ASSERT(item.value().device().is_cpu(), "checkpoint tensor ", item.key(), " is not on the CPU");
  std::map<std::string, std::string> tensor_digests;
  c10::Dict<std::string, std::string> digests;
  for (const auto& item : state) {
    const std::string digest = tensor_sha256(item.value());
    tensor_digests.emplace(item.key(), digest);
    digests.insert("state_dict/" + item.key(), digest);
  }
  AVR_ASSERT(origin.parents.is_array(), "a checkpoint's parents must be a list");
  CheckpointIdentity identity;
  identity.config = config;
  identity.weights_sha256 = weights_digest(tensor_digests);
  identity.origin = origin;
  identity.made_by = invocation();
  const std::string config_text = nlohmann::json(config).dump(),
                    metadata_text = metadata.dump(),
                    identity_text = nlohmann::json(identity).dump();
  digests.insert("config", sha256_hex(config_text));
  digests.insert("metadata", sha256_hex(metadata_text));
  digests.insert("identity", sha256_hex(identity_text));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kFormat));
  root.insert("version", kVersion);
  root.insert("config", config_text);
  root.insert("metadata", metadata_text);
  root.insert("identity", identity_text);
  root.insert("state_dict", state);
  root.insert("sha256", digests);
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

CheckpointIdentity verify_checkpoint(const fs::path& path) {
  return read_contents(path, /*with_state=*/true).identity;
}

LoadedCheckpoint load_checkpoint(const fs::path& path, const torch::Device& device) {
  auto c = read_contents(path, /*with_state=*/true);
  LoadedCheckpoint out;
  out.model = AvModel(c.config);
  detail::apply_state(*out.model, c.state, path);
  out.model->to(device);
  out.metadata = std::move(c.metadata);
  out.identity = std::move(c.identity);
  return out;
}

nlohmann::json load_checkpoint_into(const fs::path& path, AvModel model,
                                    CheckpointIdentity* identity) {
  auto c = read_contents(path, /*with_state=*/true);
  const std::string diff = model->config().mismatch(c.config);
  AVR_CHECK(diff.empty(), "checkpoint ", path, " was saved for a different model (this model vs "
            "the checkpoint: ", diff, "); build the model from the checkpoint's config instead, "
            "or ", checkpoint_rebuild_hint(c.identity.made_by));
  detail::apply_state(*model, c.state, path);
  if (identity) *identity = std::move(c.identity);
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
