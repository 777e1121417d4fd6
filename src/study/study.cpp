#include "avr/study/study.h"

#include <iostream>
#include <optional>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/output_lock.h"
#include "avr/core/timer.h"
#include "avr/data/runtime.h"
#include "avr/report/findings.h"
#include "avr/synth/generator.h"
#include "avr/synth/manifest.h"
#include "avr/synth/profile.h"
#include "study_steps.h"

namespace avr {
namespace study {

void prepare_data(StudyContext& ctx) {
  const auto& c = ctx.config;
  if (c.dataset != "embedded") {
    AVR_CHECK(std::filesystem::is_directory(c.data_root), "dataset folder ", c.data_root,
              " does not exist: give --data-root, the folder with audio/ and frames/ of ", c.dataset);
    return;
  }
  const std::string synth_profile = c.profile == "smoke" ? "tiny" : c.profile;
  SynthRequest req;
  req.profile = profile_by_name(synth_profile);
  req.out = c.data_root;
  req.progress = ctx.progress;
  const auto manifest = c.data_root / "manifest.json";
  if (std::filesystem::exists(manifest)) {
    // A dataset made by another generator version or profile settings (e.g.
    // before the scene layout changed) is regenerated, never silently reused;
    // the steps' keys hold the dataset's digests (DatasetSpec), so every model
    // trained on the old one retrains.
    const std::string why = manifest_mismatch(read_manifest(manifest), req.profile, req.seed);
    if (why.empty()) return;
    std::cerr << "study: the dataset in " << c.data_root << " is not the " << synth_profile
              << " profile of this avr (" << why << "): regenerating it\n";
  } else {
    std::cerr << "study: generating the embedded dataset (" << synth_profile << " profile) in "
              << c.data_root << "\n";
  }
  // A folder left by a killed generation has no manifest, a stale one an old
  // manifest: regenerate over it (only the generator's own files are replaced).
  req.force = std::filesystem::exists(c.data_root);
  generate_dataset(req);
}

}  // namespace study

StudyOutputs run_study(const StudyConfig& input, bool show_progress, dist::ProcessGroup* group) {
  StudyConfig config = input;
  if (config.dataset == "embedded" && config.data_root.empty()) config.data_root = config.out / "data";
  config.validate();
  Timer timer;
  const bool root = !group || group->is_root();
  // One run per output folder; rank 0 holds it for the ranks of a distributed study.
  std::optional<OutputLock> lock;
  if (root) lock.emplace(config.out, "avr study");

  DatasetSpec spec;
  spec.name = config.dataset;
  spec.root = config.data_root;
  study::StudyContext ctx(config, spec, parse_device(config.device));
  ctx.progress = show_progress;
  ctx.group = group;
  if (root) study::prepare_data(ctx);
  ctx.barrier();  // the data are there for every rank
  ctx.spec = spec.resolved();
  ctx.results["config"] = config;
  ctx.results["dataset"] = ctx.spec;
  ctx.results["runtime"] = runtime_info();
  if (ctx.distributed()) ctx.results["runtime"]["study_ranks"] = group->world_size();
  ctx.results["tables"] = nlohmann::json::object();

  study::train_models(ctx);
  study::exfmem_solver(ctx);
  study::attack_tables(ctx);
  study::autoattack_tables(ctx);
  study::eps_sweep(ctx);
  study::robustness_audit(ctx);
  study::localization(ctx);
  study::embeddings(ctx);
  study::adversarial_examples(ctx);

  nlohmann::json timings = nlohmann::json::object();
  for (const auto* names : {&ctx.computed, &ctx.reused})
    for (const auto& name : *names) timings[name] = ctx.cache.seconds(name);
  ctx.results["timings"] = timings;
  ctx.results["steps"] = {{"computed", ctx.computed}, {"reused", ctx.reused}};

  StudyOutputs o;
  o.computed = ctx.computed;
  o.reused = ctx.reused;
  if (!root) return o;  // rank 0 writes the results
  const auto findings = check_findings(ctx.results);
  ctx.results["findings"] = findings;
  ctx.results["seconds_this_run"] = timer.seconds();
  write_file_atomic(config.out / "results.json", ctx.results.dump(2) + "\n");
  write_file_atomic(config.out / "findings.md", findings_markdown(findings));
  study::write_report(ctx, findings);

  o.results_json = config.out / "results.json";
  o.report_html = config.out / "report.html";
  o.tables_dir = config.out / "tables";
  o.figures_dir = config.out / "figures";
  o.findings = static_cast<int>(findings.size());
  for (const auto& f : findings) o.findings_holding += f.holds;
  o.seconds = timer.seconds();
  return o;
}

}  // namespace avr
