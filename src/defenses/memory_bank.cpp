#include "avr/defenses/memory_bank.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/core/rng.h"
#include "avr/models/checkpoint.h"

namespace avr {
namespace {

// Bumped when the archive's layout changes; load() refuses other versions.
// 2: adds "provenance" (what the bank was derived from).
// 3: adds "sha256" (of the matrix and source rows, checked on load: LibTorch's
//    zip reader does not check CRCs, so a damaged bank would load).
constexpr int64_t kBankFormat = 3;

std::string bank_digest(const torch::Tensor& matrix, const torch::Tensor& source_rows) {
  return tensor_sha256(matrix) + tensor_sha256(source_rows);
}

void check_modality(const std::string& modality) {
  AVR_CHECK(modality == "audio" || modality == "visual", "memory bank modality must be 'audio' or ",
            "'visual', got '", modality, "'");
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

std::string to_string(BankSelection selection) {
  return selection == BankSelection::kFirst ? "first" : "random";
}

BankSelection parse_bank_selection(const std::string& name) {
  if (name == "first") return BankSelection::kFirst;
  if (name == "random") return BankSelection::kRandom;
  AVR_FAIL("unknown memory bank selection '", name,
           "': use first (the original: the first k training features) or random (k drawn by seed)");
}

void MemoryBankSettings::validate() const {
  AVR_CHECK(columns >= 0, "memory bank columns must be >= 0 (0 keeps every feature), got ", columns);
}

void to_json(nlohmann::json& j, const MemoryBankSettings& s) {
  j = nlohmann::json{
      {"columns", s.columns}, {"selection", to_string(s.selection)}, {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, MemoryBankSettings& s) {
  MemoryBankSettings out;
  JsonFields f(j, "memory bank settings");
  f.read("columns", out.columns);
  f.read_as("selection", out.selection, parse_bank_selection);
  f.read("seed", out.seed);
  f.finish();
  out.validate();
  s = out;
}

MemoryBank::MemoryBank(std::string modality, torch::Tensor matrix, torch::Tensor source_rows)
    : modality_(std::move(modality)) {
  check_modality(modality_);
  AVR_CHECK(matrix.defined() && matrix.dim() == 2 && matrix.size(0) > 0 && matrix.size(1) > 0,
            "a ", modality_, " memory bank must be a non-empty [d,k] matrix, got ",
            matrix.defined() ? matrix.sizes() : torch::IntArrayRef{});
  AVR_CHECK(matrix.is_floating_point(), "a ", modality_,
            " memory bank must hold floating-point features, got ", matrix.scalar_type());
  AVR_CHECK(source_rows.defined() && source_rows.dim() == 1 &&
                source_rows.size(0) == matrix.size(1) && source_rows.scalar_type() == torch::kInt64,
            "a ", modality_, " memory bank needs one int64 source row per column (", matrix.size(1),
            ")");
  matrix_ = matrix.detach().contiguous();
  source_rows_ = source_rows.to(torch::kCPU).contiguous();
}

MemoryBank MemoryBank::from_features(const std::string& modality, const torch::Tensor& features,
                                     const MemoryBankSettings& settings) {
  settings.validate();
  check_modality(modality);
  AVR_CHECK(features.defined() && features.dim() == 2 && features.size(0) > 0,
            "building the ", modality, " memory bank needs training features as [N,d], one clip "
            "per row, got ", features.defined() ? features.sizes() : torch::IntArrayRef{});
  AVR_CHECK(torch::isfinite(features).all().item<bool>(), "the ", modality,
            " training features hold NaN or infinite values; the encoder diverged or its input "
            "is broken, so no memory bank can be built from them");
  const int64_t n = features.size(0);
  const int64_t k = settings.columns == 0 ? n : std::min(settings.columns, n);
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  if (settings.selection == BankSelection::kRandom && k < n) {
    Rng rng = Rng(settings.seed).fork("memory_bank/columns");
    for (int64_t i = 0; i < k; ++i) std::swap(rows[i], rows[rng.randint(i, n - 1)]);  // partial Fisher–Yates
    std::sort(rows.begin(), rows.begin() + k);  // keep the data's order among the chosen
  }
  rows.resize(static_cast<size_t>(k));
  const torch::Tensor index = torch::tensor(rows, torch::kInt64);
  return MemoryBank(modality,
                    features.detach().index_select(0, index.to(features.device())).t().contiguous(),
                    index);
}

void MemoryBank::save(const fs::path& path) const {
  AVR_CHECK(defined(), "cannot save an empty memory bank to ", path);
  write_atomic_with(path, [&](const fs::path& tmp) {
    torch::serialize::OutputArchive archive;
    archive.write("format", c10::IValue(kBankFormat));
    archive.write("modality", c10::IValue(modality_));
    archive.write("provenance", c10::IValue(provenance_));
    archive.write("sha256", c10::IValue(bank_digest(matrix_.cpu(), source_rows_.cpu())));
    archive.write("matrix", matrix_.cpu(), /*is_buffer=*/true);
    archive.write("source_rows", source_rows_.cpu(), /*is_buffer=*/true);
    archive.save_to(tmp.string());
  });
}

MemoryBank MemoryBank::load(const fs::path& path, int64_t expected_dim,
                            const std::string& expected_modality) {
  require_file(path, "memory bank");
  torch::serialize::InputArchive archive;
  c10::IValue format, modality, provenance, digest;
  torch::Tensor matrix, source_rows;
  try {
    archive.load_from(path.string(), torch::Device(torch::kCPU));
    archive.read("format", format);
    archive.read("modality", modality);
    if (format.isInt() && format.toInt() == kBankFormat) {
      archive.read("provenance", provenance);
      archive.read("sha256", digest);
    }
    archive.read("matrix", matrix, /*is_buffer=*/true);
    archive.read("source_rows", source_rows, /*is_buffer=*/true);
  } catch (const std::exception& e) {  // LibTorch's reader throws c10::Error
    AVR_FAIL("memory bank ", path, " is corrupt, truncated or not a memory bank (",
             first_line(e.what()),
             "); delete it and rebuild it from the checkpoint's training features");
  }
  AVR_CHECK(format.isInt() && format.toInt() == kBankFormat, "memory bank ", path,
            " has format ", format.isInt() ? format.toInt() : -1, ", this avr reads format ",
            kBankFormat, "; rebuild it from the checkpoint's training features");
  AVR_CHECK(modality.isString(), "memory bank ", path, " names no modality; rebuild it");
  AVR_CHECK(digest.isString() && matrix.defined() && source_rows.defined() &&
                digest.toStringRef() == bank_digest(matrix, source_rows),
            "memory bank ", path, " is damaged (its features do not match the SHA-256 stored when "
            "it was written); delete it and rebuild it from the checkpoint's training features");
  MemoryBank bank;
  try {
    bank = MemoryBank(modality.toStringRef(), matrix, source_rows);
  } catch (const Error& e) {
    AVR_FAIL("memory bank ", path, " is invalid: ", e.what(), "; rebuild it");
  }
  if (provenance.isString()) bank.set_provenance(provenance.toStringRef());
  AVR_CHECK(expected_modality.empty() || bank.modality() == expected_modality, "memory bank ",
            path, " holds ", bank.modality(), " features, but a ", expected_modality,
            " bank was asked for; check which file was passed");
  AVR_CHECK(expected_dim <= 0 || bank.dim() == expected_dim, "memory bank ", path, " holds ",
            bank.dim(), "-d ", bank.modality(), " features, but the model's ", bank.modality(),
            " encoder gives ", expected_dim, "-d features: the bank belongs to another model; "
            "rebuild it from this checkpoint");
  return bank;
}

fs::path memory_bank_path(const fs::path& checkpoint, const std::string& modality) {
  check_modality(modality);
  fs::path p = checkpoint;
  return p.replace_filename(checkpoint.stem().string() + ".bank-" + modality + ".pt");
}

}  // namespace avr
