#include "avr/eval/robustness.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/core/progress.h"
#include "avr/core/timer.h"
#include "eval_pass.h"

namespace avr {

void RobustnessSettings::validate() const {
  AVR_CHECK(!attacks.empty(), "no attack given: use --attack fgsm,pgd,mim,apgd");
  AVR_CHECK(!modalities.empty(), "no modality given: use --modality a,v,av");
  budget.validate();
  AVR_CHECK(batch_size >= 1, "batch size must be ≥ 1");
  for (const auto& a : attacks) make_attack(a, attack_settings.value(a, nlohmann::json::object()));
}

void to_json(nlohmann::json& j, const RobustnessSettings& s) {
  std::vector<std::string> mods;
  for (auto m : s.modalities) mods.push_back(to_string(m));
  j = {{"attacks", s.attacks},        {"modalities", mods},
       {"attack_settings", s.attack_settings},
       {"batch_size", s.batch_size},  {"limit", s.limit},
       {"seed", s.seed},              {"through_defense", to_string(s.through_defense)}};
  j.update(nlohmann::json(s.budget));
}

double AttackRow::average() const {
  if (accuracy.empty()) return 0.0;
  double s = 0;
  for (const auto& [m, a] : accuracy) s += a;
  return s / accuracy.size();
}

const AttackRow& RobustnessReport::row(const std::string& attack) const {
  for (const auto& r : rows)
    if (r.attack == attack) return r;
  AVR_FAIL("no result for attack '", attack, "'");
}

namespace {

std::string bits(const std::vector<bool>& v) {
  std::string s(v.size(), '0');
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i]) s[i] = '1';
  return s;
}

std::vector<bool> from_bits(const nlohmann::json& j, const char* field, int64_t clips) {
  AVR_CHECK(j.is_string(), "robustness report: ", field, " must be a string of 0/1");
  const auto& s = j.get_ref<const std::string&>();
  AVR_CHECK(static_cast<int64_t>(s.size()) == clips, "robustness report: ", field, " has ",
            s.size(), " flags for ", clips, " clips");
  std::vector<bool> v(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    AVR_CHECK(s[i] == '0' || s[i] == '1', "robustness report: ", field, " holds '", s[i], "'");
    v[i] = s[i] == '1';
  }
  return v;
}

Modality modality_of_label(const std::string& label) {
  for (auto m : {Modality::Audio, Modality::Visual, Modality::AudioVisual})
    if (paper_label(m) == label) return m;
  AVR_FAIL("robustness report: unknown threat '", label, "' (✗A, ✗V, ✗AV)");
}

}  // namespace

void to_json(nlohmann::json& j, const RobustnessReport& r) {
  j = {{"clips", r.clips}, {"clean_accuracy", r.clean_accuracy}, {"seconds", r.seconds}};
  if (!r.clip_indices.empty()) {
    j["clip_indices"] = r.clip_indices;
    j["clean_correct_clips"] = bits(r.clean_correct);
  }
  auto rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json acc = nlohmann::json::object(), threat = nlohmann::json::object(),
                   linf = nlohmann::json::object(), robust = nlohmann::json::object();
    for (const auto& [m, a] : row.accuracy) {
      acc[paper_label(m)] = a;
      threat[paper_label(m)] = row.threat.at(m);
      linf[paper_label(m)] = {{"audio", row.max_linf_audio.at(m)},
                              {"frames", row.max_linf_frames.at(m)}};
      const auto it = row.robust.find(m);
      if (it != row.robust.end()) robust[paper_label(m)] = bits(it->second);
    }
    rows.push_back({{"attack", row.attack},
                    {"settings", row.attack_settings},
                    {"accuracy", acc},
                    {"avg", row.average()},
                    {"threat_model", threat},
                    {"measured_max_linf", linf},
                    {"robust_clips", robust},
                    {"seconds", row.seconds}});
    if (!row.stages.empty()) {
      auto& jr = rows.back();
      jr["stages"] = row.stages;
      jr["fooled_at"] = nlohmann::json::object();
      for (const auto& [m, v] : row.fooled_at) jr["fooled_at"][paper_label(m)] = v;
    }
  }
  j["attacks"] = rows;
}

void from_json(const nlohmann::json& j, RobustnessReport& r) {
  RobustnessReport out;
  try {
    out.clips = j.at("clips").get<int64_t>();
    out.clean_accuracy = j.at("clean_accuracy").get<double>();
    out.seconds = j.value("seconds", 0.0);
    if (j.contains("clip_indices")) {
      out.clip_indices = j["clip_indices"].get<std::vector<int64_t>>();
      AVR_CHECK(static_cast<int64_t>(out.clip_indices.size()) == out.clips,
                "robustness report: clip_indices has ", out.clip_indices.size(), " entries for ",
                out.clips, " clips");
      out.clean_correct = from_bits(j.at("clean_correct_clips"), "clean_correct_clips", out.clips);
    }
    for (const auto& jr : j.at("attacks")) {
      AttackRow row;
      row.attack = jr.at("attack").get<std::string>();
      row.attack_settings = jr.value("settings", nlohmann::json::object());
      row.seconds = jr.value("seconds", 0.0);
      for (const auto& [label, a] : jr.at("accuracy").items()) {
        const Modality m = modality_of_label(label);
        row.accuracy[m] = a.get<double>();
        row.threat[m] = jr.at("threat_model").at(label).get<ThreatModel>();
        const auto& linf = jr.at("measured_max_linf").at(label);
        row.max_linf_audio[m] = linf.at("audio").get<double>();
        row.max_linf_frames[m] = linf.at("frames").get<double>();
        if (jr.contains("robust_clips") && jr["robust_clips"].contains(label))
          row.robust[m] = from_bits(jr["robust_clips"][label], "robust_clips", out.clips);
      }
      if (jr.contains("stages")) {
        row.stages = jr["stages"].get<std::vector<std::string>>();
        for (const auto& [label, v] : jr.at("fooled_at").items()) {
          auto& at = row.fooled_at[modality_of_label(label)] = v.get<std::vector<int>>();
          AVR_CHECK(static_cast<int64_t>(at.size()) == out.clips, "robustness report: fooled_at of '",
                    row.attack, "' has ", at.size(), " entries for ", out.clips, " clips");
          for (int k : at)
            AVR_CHECK(k >= -1 && k < static_cast<int>(row.stages.size()), "robustness report: fooled_at of '",
                      row.attack, "' names stage ", k, " of ", row.stages.size());
        }
      }
      out.rows.push_back(std::move(row));
    }
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL("robustness report: a field is missing or has the wrong type (", e.what(), ")");
  }
  r = std::move(out);
}

namespace {
void append_flags(std::vector<bool>& out, const torch::Tensor& ok) {
  const auto flags = ok.to(torch::kBool).contiguous();
  const bool* p = flags.data_ptr<bool>();
  out.insert(out.end(), p, p + flags.numel());
}
}  // namespace

RobustnessReport evaluate_robustness(const DefendedModel& m, const AvDataset& dataset,
                                     const ClipSettings& clip, const RobustnessSettings& s,
                                     const torch::Device& device, bool show_progress,
                                     const AdversarialHook& hook, dist::ProcessGroup* group) {
  s.validate();
  Timer total;
  const bool sharded = group && group->distributed();
  if (m.model) AvModel(m.model)->eval();  // a forward_model is in eval mode already
  BatchLoader loader(dataset, clip,
                     detail::eval_loader_settings(s.batch_size, s.limit, s.workers, group));

  std::vector<std::unique_ptr<Attack>> attacks;
  RobustnessReport report;
  std::vector<std::map<Modality, int64_t>> correct(s.attacks.size());
  for (const auto& name : s.attacks) {
    attacks.push_back(make_seeded_attack(name, s.attack_settings.value(name, nlohmann::json::object()), s.seed));
    AttackRow row;
    row.attack = name;
    row.attack_settings = attacks.back()->settings_json();
    report.rows.push_back(row);
  }
  // Attack only the inputs the model has.
  std::vector<Modality> modalities;
  for (auto mod : s.modalities) {
    const bool needs_audio = mod != Modality::Visual, needs_visual = mod != Modality::Audio;
    if (mod == Modality::AudioVisual ? (m.has_audio() && m.has_visual())
                                     : ((!needs_audio || m.has_audio()) &&
                                        (!needs_visual || m.has_visual())))
      modalities.push_back(mod);
  }
  AVR_CHECK(!modalities.empty(), "none of the requested modalities applies to the ",
            m.describe(), " model");

  int64_t clean_correct = 0;
  const auto progress = detail::eval_progress(show_progress, "attack", loader, group);
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    auto audio = b->audio.to(device), frames = b->frames.to(device), labels = b->labels.to(device);
    DefendedModel::CleanBatch clean;
    {
      torch::NoGradGuard ng;
      clean = m.defend_clean(audio, frames);
      const auto ok = m.logits(clean).argmax(1).eq(labels).cpu();
      clean_correct += ok.sum().item<int64_t>();
      append_flags(report.clean_correct, ok);
      const auto idx = b->indices.to(torch::kCPU, torch::kInt64).contiguous();
      report.clip_indices.insert(report.clip_indices.end(), idx.data_ptr<int64_t>(),
                                 idx.data_ptr<int64_t>() + idx.numel());
    }
    for (size_t a = 0; a < attacks.size(); ++a) {
      Timer t;
      for (auto mod : modalities) {
        const ThreatModel threat = s.budget.threat(mod);
        auto objective = batch_objective(m, clean, s.through_defense);
        auto adv = attacks[a]->run_on_clips(objective, b->indices, audio, frames, labels, threat);
        torch::NoGradGuard ng;
        auto pred = m.logits(clean, adv.audio, adv.frames).argmax(1);
        const auto ok = pred.eq(labels).cpu();
        correct[a][mod] += ok.sum().item<int64_t>();
        auto& row = report.rows[a];
        append_flags(row.robust[mod], ok);
        if (adv.fooled_at.defined()) {
          row.stages = adv.stages;
          const auto at = adv.fooled_at.to(torch::kCPU, torch::kInt64).contiguous();
          row.fooled_at[mod].insert(row.fooled_at[mod].end(), at.data_ptr<int64_t>(),
                                    at.data_ptr<int64_t>() + at.numel());
        }
        row.threat[mod] = threat;
        const double la = (adv.audio - audio).abs().max().item<double>();
        const double lf = (adv.frames - frames).abs().max().item<double>();
        row.max_linf_audio[mod] = std::max(row.max_linf_audio[mod], la);
        row.max_linf_frames[mod] = std::max(row.max_linf_frames[mod], lf);
        if (hook) hook(s.attacks[a], threat, *b, adv.audio.cpu(), adv.frames.cpu(), pred.cpu());
      }
      report.rows[a].seconds += t.seconds();
    }
    report.clips += labels.size(0);
    if (progress) {
      char status[64];
      std::snprintf(status, sizeof status, "clean acc %.3f",
                    static_cast<double>(clean_correct) / report.clips);
      progress->advance(labels.size(0), status);
    }
  }
  if (progress) progress->finish();
  report.clean_accuracy = static_cast<double>(clean_correct) / report.clips;
  for (size_t a = 0; a < attacks.size(); ++a)
    for (auto mod : modalities)
      report.rows[a].accuracy[mod] = static_cast<double>(correct[a][mod]) / report.clips;
  report.seconds = total.seconds();
  if (sharded) {
    // Every rank's per-clip results, through the report's own JSON (a rank
    // without clips, when there are fewer batches than ranks, sends nothing).
    const auto all = group->all_gather_bytes(report.clips > 0 ? nlohmann::json(report).dump() : std::string());
    std::vector<RobustnessReport> shards;
    for (const auto& bytes : all)
      if (!bytes.empty()) shards.push_back(nlohmann::json::parse(bytes).get<RobustnessReport>());
    report = merge_robustness_shards(shards);
    report.seconds = total.seconds();
  }
  return report;
}

RobustnessReport merge_robustness_shards(const std::vector<RobustnessReport>& shards) {
  AVR_ASSERT(!shards.empty(), "no shard to merge");
  struct Where {
    int64_t clip;
    size_t shard, pos;
  };
  std::vector<Where> order;
  for (size_t k = 0; k < shards.size(); ++k) {
    AVR_ASSERT(static_cast<int64_t>(shards[k].clip_indices.size()) == shards[k].clips &&
                   shards[k].rows.size() == shards[0].rows.size(),
               "shard ", k, " lacks per-clip results or rows");
    for (size_t i = 0; i < shards[k].clip_indices.size(); ++i) order.push_back({shards[k].clip_indices[i], k, i});
  }
  std::sort(order.begin(), order.end(), [](const Where& a, const Where& b) { return a.clip < b.clip; });
  RobustnessReport out;
  out.clips = static_cast<int64_t>(order.size());
  int64_t clean = 0;
  for (const auto& w : order) {
    out.clip_indices.push_back(w.clip);
    const bool ok = shards[w.shard].clean_correct[w.pos];
    out.clean_correct.push_back(ok);
    clean += ok;
  }
  out.clean_accuracy = static_cast<double>(clean) / out.clips;
  for (size_t a = 0; a < shards[0].rows.size(); ++a) {
    const AttackRow& first = shards[0].rows[a];
    AttackRow row;
    row.attack = first.attack;
    row.attack_settings = first.attack_settings;
    row.threat = first.threat;
    for (const auto& sh : shards) {
      const AttackRow& r = sh.rows[a];
      AVR_ASSERT(r.attack == first.attack, "shards disagree on attack ", a);
      row.seconds = std::max(row.seconds, r.seconds);
      if (row.stages.empty()) row.stages = r.stages;
    }
    for (const auto& [mod, acc] : first.accuracy) {
      double la = 0, lf = 0;
      for (const auto& sh : shards) {
        la = std::max(la, sh.rows[a].max_linf_audio.at(mod));
        lf = std::max(lf, sh.rows[a].max_linf_frames.at(mod));
      }
      row.max_linf_audio[mod] = la;
      row.max_linf_frames[mod] = lf;
      int64_t robust = 0;
      auto& flags = row.robust[mod];
      for (const auto& w : order) {
        const bool ok = shards[w.shard].rows[a].robust.at(mod)[w.pos];
        flags.push_back(ok);
        robust += ok;
      }
      row.accuracy[mod] = static_cast<double>(robust) / out.clips;
      if (first.fooled_at.count(mod)) {
        auto& at = row.fooled_at[mod];
        for (const auto& w : order) at.push_back(shards[w.shard].rows[a].fooled_at.at(mod)[w.pos]);
      }
    }
    out.rows.push_back(std::move(row));
  }
  for (const auto& sh : shards) out.seconds = std::max(out.seconds, sh.seconds);
  return out;
}

std::string robustness_csv(const RobustnessReport& r) {
  std::ostringstream out;
  out << "attack,clean,xA,xV,xAV,avg\n";
  auto cell = [](const AttackRow& row, Modality m) {
    auto it = row.accuracy.find(m);
    return it == row.accuracy.end() ? std::string() : std::to_string(100 * it->second);
  };
  for (const auto& row : r.rows)
    out << row.attack << ',' << 100 * r.clean_accuracy << ',' << cell(row, Modality::Audio) << ','
        << cell(row, Modality::Visual) << ',' << cell(row, Modality::AudioVisual) << ','
        << 100 * row.average() << '\n';
  return out.str();
}

}  // namespace avr
