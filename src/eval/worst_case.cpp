#include "avr/eval/worst_case.h"

#include "avr/core/error.h"

namespace avr {

double WorstCase::average() const {
  if (accuracy.empty()) return 0.0;
  double s = 0;
  for (const auto& [m, a] : accuracy) s += a;
  return s / accuracy.size();
}

WorstCase worst_case(const std::vector<RobustnessReport>& reports,
                     const std::vector<std::string>& sources) {
  AVR_CHECK(!reports.empty(), "worst case: no report to combine");
  AVR_CHECK(sources.empty() || sources.size() == reports.size(), "worst case: ", sources.size(),
            " source names for ", reports.size(), " reports");
  const RobustnessReport& first = reports.front();
  WorstCase w;
  w.clips = first.clips;
  w.clean_accuracy = first.clean_accuracy;
  for (auto m : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    bool everywhere = true;
    for (const auto& r : reports)
      for (const auto& row : r.rows) everywhere = everywhere && row.accuracy.count(m);
    if (everywhere) w.robust[m] = std::vector<bool>(static_cast<size_t>(w.clips), true);
  }
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    const std::string source = sources.empty() ? "" : sources[i];
    AVR_CHECK(!r.clip_indices.empty() && r.clean_correct.size() == r.clip_indices.size(),
              "worst case: the report", source.empty() ? "" : " of ", source,
              " has no per-clip results (computed by an older avr?): recompute it");
    AVR_CHECK(r.clip_indices == first.clip_indices, "worst case: the reports", source.empty() ? "" : " (",
              source, source.empty() ? "" : ")", " cover different clips (", r.clips, " vs ",
              first.clips, "): run every attack on the same split, limit and order");
    // The clean input lies in every ε-ball: a clip the model gets wrong unattacked is not
    // robust, even where every attack's output happens to be classified correctly.
    for (auto& [m, robust] : w.robust)
      for (size_t c = 0; c < robust.size(); ++c) robust[c] = robust[c] && r.clean_correct[c];
    for (const auto& row : r.rows) {
      w.attacks.push_back(source.empty() ? row.attack : source + ":" + row.attack);
      for (auto& [m, robust] : w.robust) {
        const auto it = row.robust.find(m);
        AVR_CHECK(it != row.robust.end() && it->second.size() == robust.size(), "worst case: the ",
                  row.attack, " row", source.empty() ? "" : " of ", source, " has no per-clip ",
                  paper_label(m), " results for its ", robust.size(), " clips: recompute it");
        const auto& flags = it->second;
        for (size_t c = 0; c < robust.size(); ++c) robust[c] = robust[c] && flags[c];
      }
    }
  }
  for (const auto& [m, robust] : w.robust) {
    int64_t n = 0;
    for (bool ok : robust) n += ok;
    w.accuracy[m] = w.clips ? static_cast<double>(n) / w.clips : 0.0;
  }
  return w;
}

void to_json(nlohmann::json& j, const WorstCase& w) {
  nlohmann::json acc = nlohmann::json::object();
  for (const auto& [m, a] : w.accuracy) acc[paper_label(m)] = a;
  j = {{"rule", "a clip is robust only if it is classified correctly clean and every attack failed on it (per-clip worst case)"},
       {"attacks", w.attacks},
       {"clips", w.clips},
       {"clean_accuracy", w.clean_accuracy},
       {"accuracy", acc},
       {"avg", w.average()}};
}

RobustnessReport first_clips(const RobustnessReport& r, int64_t n) {
  AVR_CHECK(n >= 0 && n <= r.clips, "first_clips: ", n, " of a report on ", r.clips, " clips");
  AVR_CHECK(static_cast<int64_t>(r.clip_indices.size()) == r.clips, "first_clips: the report has no per-clip "
            "results (computed by an older avr?): recompute it");
  const auto cut = [n](auto v) {
    v.resize(static_cast<size_t>(n));
    return v;
  };
  const auto fraction = [n](const std::vector<bool>& flags) {
    int64_t k = 0;
    for (bool f : flags) k += f;
    return n ? static_cast<double>(k) / static_cast<double>(n) : 0.0;
  };
  RobustnessReport out = r;
  out.clips = n;
  out.clip_indices = cut(r.clip_indices);
  out.clean_correct = cut(r.clean_correct);
  out.clean_accuracy = fraction(out.clean_correct);
  for (auto& row : out.rows) {
    for (auto& [m, acc] : row.accuracy) {
      const auto it = row.robust.find(m);
      AVR_CHECK(it != row.robust.end() && static_cast<int64_t>(it->second.size()) == r.clips, "first_clips: the ",
                row.attack, " row has no per-clip ", paper_label(m), " results: recompute it");
      it->second = cut(it->second);
      acc = fraction(it->second);
    }
    for (auto& [m, at] : row.fooled_at) at = cut(at);
  }
  return out;
}

AttackRow as_row(const WorstCase& w, const std::string& name) {
  AttackRow row;
  row.attack = name;
  row.accuracy = w.accuracy;
  row.robust = w.robust;
  return row;
}

}  // namespace avr
