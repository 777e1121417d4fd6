#include "localization_shards.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "avr/core/error.h"

namespace avr::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename T>
nlohmann::json blob(const T* data, size_t n) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(data);
  return nlohmann::json::binary(Bytes(p, p + n * sizeof(T)));
}

template <typename T>
std::vector<T> unblob(const nlohmann::json& j) {
  const Bytes& b = j.get_binary();
  AVR_ASSERT(b.size() % sizeof(T) == 0, "a localization shard's blob has a partial element");
  std::vector<T> out(b.size() / sizeof(T));
  if (!b.empty()) std::memcpy(out.data(), b.data(), b.size());
  return out;
}

// The per-clip scores of `rows`, in that order.
nlohmann::json scores_of(const LocalizationScores& s, const std::vector<int64_t>& rows) {
  std::vector<double> ciou;
  std::vector<std::uint8_t> hit;
  std::vector<int64_t> prediction;
  for (int64_t r : rows) {
    ciou.push_back(s.ciou.at(r));  // NaN where the box is out of view
    hit.push_back(s.hit.at(r));
    if (!s.prediction.empty()) prediction.push_back(s.prediction.at(r));
  }
  return {{"ciou", blob(ciou.data(), ciou.size())},
          {"hit", blob(hit.data(), hit.size())},
          {"prediction", blob(prediction.data(), prediction.size())}};
}

void put_scores(LocalizationScores& s, const std::vector<int64_t>& rows, const nlohmann::json& j) {
  const auto ciou = unblob<double>(j.at("ciou"));
  const auto hit = unblob<std::uint8_t>(j.at("hit"));
  const auto prediction = unblob<int64_t>(j.at("prediction"));
  AVR_ASSERT(ciou.size() == rows.size() && hit.size() == rows.size() &&
                 (prediction.empty() || prediction.size() == rows.size()),
             "a localization shard's scores do not match its rows");
  for (size_t i = 0; i < rows.size(); ++i) {
    s.ciou.at(rows[i]) = ciou[i];
    s.hit.at(rows[i]) = hit[i] != 0;
    if (!prediction.empty()) s.prediction.at(rows[i]) = prediction[i];
  }
}

}  // namespace

std::string pack_localization_shard(const LocalizationReport& report, const std::vector<int64_t>& rows,
                                    const std::vector<int64_t>& correct) {
  nlohmann::json j = {{"rows", rows}, {"correct", correct}, {"center_prior", scores_of(report.center_prior, rows)}};
  auto conditions = nlohmann::json::array();
  for (const auto& c : report.conditions)
    conditions.push_back({{"scores", scores_of(c.scores, rows)},
                          {"max_linf_audio", c.max_linf_audio},
                          {"max_linf_frames", c.max_linf_frames},
                          {"seconds", c.seconds}});
  j["conditions"] = conditions;
  auto examples = nlohmann::json::array();
  for (size_t e = 0; e < report.examples.size(); ++e) {
    if (std::find(rows.begin(), rows.end(), report.examples[e].index) == rows.end()) continue;
    auto views = nlohmann::json::array();
    for (const auto& v : report.examples[e].views)
      views.push_back({{"width", v.frame.width},
                       {"height", v.frame.height},
                       {"rgb", blob(v.frame.rgb.data(), v.frame.rgb.size())},
                       {"map_width", v.attention.width},
                       {"map_height", v.attention.height},
                       {"map", blob(v.attention.values.data(), v.attention.values.size())},
                       {"prediction", v.prediction},
                       {"hit", v.hit},
                       {"ciou", blob(&v.ciou, 1)}});
    examples.push_back({{"example", e}, {"views", views}});
  }
  j["examples"] = examples;
  const Bytes cbor = nlohmann::json::to_cbor(j);
  return std::string(cbor.begin(), cbor.end());
}

void merge_localization_shards(LocalizationReport& report, std::vector<int64_t>& correct,
                               const std::vector<std::string>& shards) {
  std::fill(correct.begin(), correct.end(), 0);
  for (auto& c : report.conditions) c.max_linf_audio = c.max_linf_frames = c.seconds = 0;
  for (const auto& bytes : shards) {
    const auto j = nlohmann::json::from_cbor(Bytes(bytes.begin(), bytes.end()));
    const auto rows = j.at("rows").get<std::vector<int64_t>>();
    const auto shard_correct = j.at("correct").get<std::vector<int64_t>>();
    const auto& conditions = j.at("conditions");
    AVR_ASSERT(shard_correct.size() == correct.size() && conditions.size() == report.conditions.size(),
               "localization shards disagree on the conditions");
    put_scores(report.center_prior, rows, j.at("center_prior"));
    for (size_t c = 0; c < report.conditions.size(); ++c) {
      auto& cond = report.conditions[c];
      const auto& from = conditions[c];
      put_scores(cond.scores, rows, from.at("scores"));
      correct[c] += shard_correct[c];
      cond.max_linf_audio = std::max(cond.max_linf_audio, from.at("max_linf_audio").get<double>());
      cond.max_linf_frames = std::max(cond.max_linf_frames, from.at("max_linf_frames").get<double>());
      cond.seconds = std::max(cond.seconds, from.at("seconds").get<double>());
    }
    for (const auto& ex : j.at("examples")) {
      auto& views = report.examples.at(ex.at("example").get<size_t>()).views;
      const auto& from = ex.at("views");
      AVR_ASSERT(from.size() == views.size(), "a localization shard's example has the wrong views");
      for (size_t v = 0; v < views.size(); ++v) {
        auto& view = views[v];
        const auto& f = from[v];
        view.frame.width = f.at("width");
        view.frame.height = f.at("height");
        view.frame.rgb = unblob<std::uint8_t>(f.at("rgb"));
        view.attention.width = f.at("map_width");
        view.attention.height = f.at("map_height");
        view.attention.values = unblob<float>(f.at("map"));
        view.prediction = f.at("prediction");
        view.hit = f.at("hit");
        view.ciou = unblob<double>(f.at("ciou")).at(0);
      }
    }
  }
}

}  // namespace avr::detail
