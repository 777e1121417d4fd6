#include "study_context.h"

#include <iostream>
#include <optional>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/eval/transfer.h"

namespace avr::study {

const TrainedModel& StudyContext::model(const std::string& name) const {
  auto it = models.find(name);
  AVR_ASSERT(it != models.end(), "the study has not trained '", name, "' yet");
  return it->second;
}

std::filesystem::path StudyContext::dir(const std::string& sub) const {
  auto d = config.out / sub;
  ensure_dir(d);
  return d;
}

void StudyContext::note_step(const std::string& name, bool ran) {
  (ran ? computed : reused).push_back(name);
}

void StudyContext::barrier() const {
  if (distributed()) group->barrier();
}

bool StudyContext::root_says(bool value) const {
  if (!distributed()) return value;
  auto flag = torch::tensor({static_cast<int64_t>(value)});
  group->broadcast(flag);
  return flag.item<int64_t>() != 0;
}

nlohmann::json StudyContext::run_step(const std::string& name, const nlohmann::json& config,
                                      const std::function<nlohmann::json()>& compute, StepRanks ranks,
                                      const std::function<std::string(const nlohmann::json&)>& check) {
  bool ran = false;
  if (!distributed()) {
    auto result = cache.get_or_run(name, config, compute, &ran, check);
    note_step(name, ran);
    return result;
  }
  // Rank 0 decides from its view of the cache; the others follow it.
  std::optional<nlohmann::json> hit;
  if (is_root()) hit = cache.find_checked(name, config, check);
  ran = !root_says(hit.has_value());
  nlohmann::json result;
  if (ran && is_root()) result = cache.run_and_store(name, config, compute);
  else if (ran && ranks == StepRanks::Shared) result = compute();
  barrier();  // rank 0's record is on disk
  if (is_root()) {
    if (!ran) result = *hit;
  } else {
    auto stored = cache.find(name, config);
    AVR_CHECK(stored, "rank ", group->rank(), " of the study cannot read the record of step ", name, " (",
              cache.record_path(name), ") that rank 0 wrote: a distributed study needs its output folder on "
              "a file system every rank reads (give every rank the same --out on shared storage)");
    result = std::move(*stored);
  }
  note_step(name, ran);
  return result;
}

void StudyContext::write_table(const std::string& id, const Table& table) {
  if (is_root()) write_table_files(dir("tables") / id, table);
}

RobustnessSettings StudyContext::robustness_settings(std::vector<std::string> attacks,
                                                     double eps_single, double eps_both) const {
  RobustnessSettings s;
  s.attacks = std::move(attacks);
  s.budget = {config.budget.space, eps_single, eps_both};
  s.batch_size = config.batch_size;
  s.limit = config.attack_limit;
  s.seed = config.seed;
  s.workers = config.workers;
  return s;
}

MemoryBankSettings StudyContext::bank_settings() const {
  MemoryBankSettings banks = config.banks;
  banks.seed = config.seed;  // the study's one seed draws the banks too
  return banks;
}

ExFMemSettings StudyContext::exfmem_settings() const { return config.exfmem; }

namespace {

// The cache key of ExFMem as the config sets it (whole settings objects), with the
// attacker's gradient through it ("none": the paper's protocol).
nlohmann::json exfmem_key(const StudyContext& ctx, const ThroughDefense& through) {
  return {{"banks", ctx.bank_settings()},
          {"exfmem", ctx.exfmem_settings()},
          {"adaptive", through ? to_string(*through) : "none"}};
}

// A trained model opened for evaluation, behind ExFMem when asked; an adaptive attacker
// differentiates through it as `through` says, which `settings` then records.
struct OpenedModel {
  ModelOnDataset on_data;
  DefendedModel defended;
};
OpenedModel open_defended(const StudyContext& ctx, const std::string& model, bool exfmem,
                          const ThroughDefense& through, RobustnessSettings* settings) {
  const auto& trained = ctx.model(model);
  OpenedModel o{open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device), {}};
  o.defended = o.on_data.attackable();
  if (exfmem) {
    auto es = ctx.exfmem_settings();
    settings->through_defense = through;
    o.defended.exfmem = load_or_build_exfmem(trained.checkpoint, o.on_data.model, o.on_data.split("train"),
                                             o.on_data.clip, ctx.bank_settings(), es, ctx.device);
  }
  return o;
}

}  // namespace

RobustnessReport robustness_step(StudyContext& ctx, const std::string& step, const std::string& model,
                               const RobustnessSettings& settings, bool exfmem, const ThroughDefense& through) {
  AVR_ASSERT(exfmem || !through, "an adaptive attacker needs a defense to adapt to");
  const auto& trained = ctx.model(model);
  // report_format 2: reports carry per-clip results (the worst case needs them).
  nlohmann::json config = {{"model", model}, {"model_key", trained.key}, {"settings", settings},
                           {"split", "test"}, {"report_format", 2}};
  if (exfmem) config["exfmem"] = exfmem_key(ctx, through);
  auto result = ctx.run_step(
      step, config,
      [&] {
        if (ctx.is_root()) std::cerr << "study: " << step << "\n";
        RobustnessSettings s = settings;
        // Rank 0 builds ExFMem's banks when they are missing; the others then load them.
        std::optional<OpenedModel> o;
        if (ctx.is_root()) o.emplace(open_defended(ctx, model, exfmem, through, &s));
        ctx.barrier();
        if (!ctx.is_root()) o.emplace(open_defended(ctx, model, exfmem, through, &s));
        // Clips sharded over the ranks; rank 0 gets the merged report.
        const auto report = evaluate_robustness(o->defended, o->on_data.split("test"), o->on_data.clip, s,
                                                ctx.device, ctx.progress, nullptr, ctx.group);
        return nlohmann::json(report);
      },
      StepRanks::Shared);
  ctx.results["robustness"][step] = {{"model", model}, {"exfmem", exfmem}, {"attacker_gradient", to_string(through)},
                                     {"settings", settings}, {"report", result}};
  return ctx.reports[step] = result.get<RobustnessReport>();
}

RobustnessReport transfer_step(StudyContext& ctx, const std::string& step, const std::string& source,
                             const std::string& target, const RobustnessSettings& settings, bool exfmem) {
  nlohmann::json config = {{"source", source},     {"source_key", ctx.model(source).key},
                           {"target", target},     {"target_key", ctx.model(target).key},
                           {"settings", settings}, {"split", "test"},
                           {"report_format", 2},   {"transfer", true}};
  if (exfmem) config["exfmem"] = exfmem_key(ctx, std::nullopt);
  auto result = ctx.run_step(
      step, config,
      [&] {
        std::cerr << "study: " << step << "\n";
        RobustnessSettings s = settings;
        const OpenedModel from = open_defended(ctx, source, false, std::nullopt, &s);
        const OpenedModel to = open_defended(ctx, target, exfmem, std::nullopt, &s);
        const auto report = evaluate_transfer(from.defended, to.defended, to.on_data.split("test"),
                                              to.on_data.clip, s, ctx.device, ctx.progress);
        return nlohmann::json(report);
      },
      StepRanks::Root);  // evaluate_transfer does not shard
  ctx.results["robustness"][step] = {{"model", target}, {"source", source}, {"exfmem", exfmem},
                                     {"transfer", true}, {"settings", settings}, {"report", result}};
  return ctx.reports[step] = result.get<RobustnessReport>();
}

}  // namespace avr::study
