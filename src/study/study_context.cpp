#include "study_context.h"

#include <iostream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/model_on_dataset.h"

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

RobustnessSettings StudyContext::robustness_settings(std::vector<std::string> attacks,
                                                     double eps_single, double eps_both) const {
  RobustnessSettings s;
  s.attacks = std::move(attacks);
  s.space = config.eps_space;
  s.eps_single = eps_single;
  s.eps_both = eps_both;
  s.batch_size = config.batch_size;
  s.limit = config.attack_limit;
  s.seed = config.seed;
  s.workers = config.workers;
  return s;
}

MemoryBankSettings StudyContext::bank_settings() const {
  MemoryBankSettings banks;
  banks.columns = config.bank_columns;
  banks.seed = config.seed;
  return banks;
}

ExFMemSettings StudyContext::exfmem_settings() const {
  ExFMemSettings es;
  es.mix = config.exfmem_mix;
  es.audio.lambda = es.visual.lambda = config.exfmem_lambda;
  es.audio.solver = es.visual.solver = parse_lasso_solver(config.exfmem_solver);
  es.audio.tol = es.visual.tol = config.exfmem_tol;
  es.audio.max_iter = es.visual.max_iter = config.exfmem_max_iter;
  return es;
}

nlohmann::json robustness_step(StudyContext& ctx, const std::string& step, const std::string& model,
                               const RobustnessSettings& settings, bool exfmem, bool adaptive) {
  AVR_ASSERT(exfmem || !adaptive, "an adaptive attacker needs a defense to adapt to");
  const auto& trained = ctx.model(model);
  // report_format 2: reports carry per-clip results (the worst case needs them).
  nlohmann::json config = {{"model", model}, {"model_key", trained.key}, {"settings", settings},
                           {"split", "test"}, {"report_format", 2}};
  const MemoryBankSettings banks = ctx.bank_settings();
  if (exfmem)
    config["exfmem"] = {{"banks", banks},
                        {"mix", ctx.config.exfmem_mix},
                        {"lambda", ctx.config.exfmem_lambda},
                        {"solver", ctx.config.exfmem_solver},
                        {"tol", ctx.config.exfmem_tol},
                        {"max_iter", ctx.config.exfmem_max_iter},
                        {"adaptive", adaptive ? "bpda" : "none"}};
  bool ran = false;
  auto result = ctx.cache.get_or_run(
      step, config,
      [&] {
        std::cerr << "study: " << step << "\n";
        auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
        DefendedModel dm = m.attackable();
        RobustnessSettings s = settings;
        if (exfmem) {
          auto es = ctx.exfmem_settings();
          if (adaptive) {
            s.through_defense = true;
            s.defense_gradient = ExFMemGradient::kBpda;
            es.gradient = s.defense_gradient;
          }
          dm.exfmem = load_or_build_exfmem(trained.checkpoint, m.model, m.split("train"), m.clip,
                                           banks, es, ctx.device);
        }
        const auto report =
            evaluate_robustness(dm, m.split("test"), m.clip, s, ctx.device, ctx.progress);
        return nlohmann::json(report);
      },
      &ran);
  ctx.note_step(step, ran);
  ctx.results["robustness"][step] = {{"model", model}, {"exfmem", exfmem}, {"adaptive", adaptive},
                                     {"settings", settings}, {"report", result}};
  return result;
}

}  // namespace avr::study
