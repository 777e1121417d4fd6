// External feature memory bank (paper Sec. 3.3.2): clean training-set features of one
// modality stored as the columns of M [d,k], the dictionary ExFMem codes test features over.
// Saved next to the checkpoint whose encoder produced the features.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "avr/core/fs.h"

namespace avr {

enum class BankSelection { kFirst, kRandom };

std::string to_string(BankSelection selection);
BankSelection parse_bank_selection(const std::string& name);  // "first", "random"

struct MemoryBankSettings {
  // At most this many columns k; 0 keeps every feature. The original keeps the first 1024
  // features of the last training epoch (all of them when the split has fewer clips).
  int64_t columns = 1024;
  BankSelection selection = BankSelection::kFirst;
  // kRandom draws rows with Rng(seed).fork("memory_bank/columns"), whatever the modality:
  // audio and visual banks built from the same clips with the same seed pick the same rows,
  // so M_a[:, j] and M_v[:, j] come from one video, as the paper requires.
  uint64_t seed = 0;

  void validate() const;
};

void to_json(nlohmann::json& j, const MemoryBankSettings& s);
void from_json(const nlohmann::json& j, MemoryBankSettings& s);

class MemoryBank {
 public:
  MemoryBank() = default;
  // modality: "audio" or "visual"; matrix M [d,k]; source_rows [k]: the feature-table row
  // each column came from.
  MemoryBank(std::string modality, torch::Tensor matrix, torch::Tensor source_rows);

  // features [N,d], one training clip per row (as the encoder returns them).
  static MemoryBank from_features(const std::string& modality, const torch::Tensor& features,
                                  const MemoryBankSettings& settings);

  const std::string& modality() const { return modality_; }
  const torch::Tensor& matrix() const { return matrix_; }            // M [d,k]
  const torch::Tensor& source_rows() const { return source_rows_; }  // [k] int64, CPU
  int64_t dim() const { return matrix_.size(0); }
  int64_t size() const { return matrix_.size(1); }
  bool defined() const { return matrix_.defined(); }

  // What the bank was derived from (e.g. the checkpoint's and the training rows'
  // digests, as JSON text), saved with it so a later run can tell a bank of other
  // weights or data from its own. Empty when unknown.
  const std::string& provenance() const { return provenance_; }
  void set_provenance(std::string provenance) { provenance_ = std::move(provenance); }

  // Atomic: a torch archive written to a temporary sibling, then renamed over `path`.
  void save(const fs::path& path) const;
  // Clear errors for a missing, corrupt or foreign file; expected_dim > 0 checks d against
  // the encoder that will feed it, expected_modality (if not empty) the modality.
  static MemoryBank load(const fs::path& path, int64_t expected_dim = 0,
                         const std::string& expected_modality = "");

 private:
  std::string modality_, provenance_;
  torch::Tensor matrix_, source_rows_;
};

// Where the bank of `modality` for a checkpoint lives: ckpt.pt → ckpt.bank-audio.pt.
fs::path memory_bank_path(const fs::path& checkpoint, const std::string& modality);

}  // namespace avr
