// A localization sharded over ranks (evaluate_localization with a process group):
// each rank scores its batches of the clips, then every rank sends what it
// measured and every rank merges all of it into the one-process report. The
// bytes are CBOR (nlohmann), images and maps as binary blobs in this machine's
// byte order (the ranks of a run share one build of avr).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "avr/eval/localization.h"

namespace avr::detail {

// What this rank measured: the per-clip scores of `rows` (dataset rows it scored),
// the center prior's on them, each condition's `correct` count, measured L∞ and
// seconds, and the views of the examples among its rows.
std::string pack_localization_shard(const LocalizationReport& report, const std::vector<int64_t>& rows,
                                    const std::vector<int64_t>& correct);

// Writes every shard's per-clip scores and example views into `report` (its
// per-clip vectors already sized for all clips, its examples for all example
// rows) and sets `correct` to the sums; L∞ and seconds are the maxima over ranks.
void merge_localization_shards(LocalizationReport& report, std::vector<int64_t>& correct,
                               const std::vector<std::string>& shards);

}  // namespace avr::detail
