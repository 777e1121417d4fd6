// How well ExFMem's Lasso is solved: on clean test features of the Concat model,
// the study's solver (config.exfmem's Lasso, the active-set method by default) and the
// original's fixed-step ISTA (the paper's baseline: step 1/L, stop at
// ‖h − h′‖ < 8e-4 or 2000 iterations), each clip certified by its duality gap
// (avr/defenses/lasso.h): the gap relative to the objective (max, mean, every
// clip's in results.json), the share of clips at gap ≤ the Lasso's tol, the
// iterations (Newton steps for the active set) and the time per 1000 features.
#include <iostream>

#include "avr/core/timer.h"
#include "avr/data/loader.h"
#include "avr/defenses/lasso.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/report/table.h"
#include "study_steps.h"

namespace avr::study {

namespace {

nlohmann::json measure(const LassoDictionary& dict, const torch::Tensor& f, const LassoSettings& s,
                       double certify_tol) {
  Timer t;
  const LassoResult r = solve_lasso(dict, f, s);
  const double seconds = t.seconds();
  const LassoCertificate cert = lasso_certificate(dict, f, r.h, s.lambda);
  const torch::Tensor rel = (cert.gap / cert.objective.clamp_min(1e-300)).cpu();
  std::vector<double> gaps(rel.data_ptr<double>(), rel.data_ptr<double>() + rel.numel());
  return {{"solver", to_string(s.solver)},
          {"settings", s},
          {"features", f.size(0)},
          {"mean_iterations", r.iterations.to(torch::kDouble).mean().item<double>()},
          {"stopped_on_own_test", r.converged.to(torch::kDouble).mean().item<double>()},
          {"max_relative_gap", rel.max().item<double>()},
          {"mean_relative_gap", rel.mean().item<double>()},
          {"certified", rel.le(certify_tol).to(torch::kDouble).mean().item<double>()},
          {"max_kkt_over_lambda",
           lasso_kkt_residual(dict, f, r.h, s.lambda).max().item<double>() / s.lambda},
          {"seconds_per_1000", 1000 * seconds / f.size(0)},
          {"relative_gaps", gaps}};
}

}  // namespace

void exfmem_solver(StudyContext& ctx) {
  const auto& c = ctx.config;
  const auto& trained = ctx.model("concat");
  const int64_t clips = 32;
  const MemoryBankSettings banks = ctx.bank_settings();
  const ExFMemSettings es = ctx.exfmem_settings();
  nlohmann::json config = {{"model_key", trained.key}, {"banks", banks}, {"exfmem", es}, {"clips", clips},
                           {"baseline", "original ISTA, step 1/L, stop 8e-4, 2000 iterations"},
                           {"gap", "duality gap relative to the objective"}};
  auto result = ctx.run_step(
      "exfmem-solver", config,
      [&] {
        std::cerr << "study: ExFMem solver accuracy\n";
        auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
        auto ex = load_or_build_exfmem(trained.checkpoint, m.model, m.split("train"), m.clip, banks, es,
                                       ctx.device);
        LoaderSettings ls;
        ls.batch_size = clips;
        ls.limit = clips;
        ls.workers = c.workers;
        const auto test = m.split("test");  // the loader keeps a reference
        BatchLoader loader(test, m.clip, ls);
        loader.start_epoch(0);
        auto b = loader.next();
        torch::NoGradGuard ng;
        const auto fa = m.model->encode_audio(b->audio.to(ctx.device));
        const auto fv = m.model->encode_visual(b->frames.to(ctx.device));
        nlohmann::json out = nlohmann::json::object();
        for (auto [name, dict, f] : {std::tuple{"audio", &ex->audio_dictionary(), fa},
                                     std::tuple{"visual", &ex->visual_dictionary(), fv}}) {
          const LassoSettings s = name == std::string("audio") ? es.audio : es.visual;
          LassoSettings ista = s;  // the original's ISTA at step 1/L (its step for L = 1e6)
          ista.solver = LassoSolver::kIsta;
          ista.ista_step = 0;
          ista.ista_tol = 8e-4;
          ista.max_iter = 2000;
          out[name] = {{"solver", measure(*dict, f, s, s.tol)},
                       {"original_ista", measure(*dict, f, ista, s.tol)}};
        }
        return out;
      },
      StepRanks::Root);
  Table t;
  const LassoSettings& lasso = es.audio;  // the study sets both banks' Lasso alike
  t.caption = "ExFMem's Lasso as the study solves it (" + to_string(lasso.solver) + ", tolerance " +
              format_number(lasso.tol, 8) + ", at most " + std::to_string(lasso.max_iter) +
              " iterations, λ = " + format_number(lasso.lambda, 3) + ", bank of " +
              std::to_string(banks.columns) + " columns) and the original's fixed-step ISTA (step 1/L, stop at "
              "‖h − h′‖ < 8e-4 or 2000 iterations) on " + std::to_string(clips) +
              " clean test features of the Concat model. Rel. gap: each clip's duality gap P(h) − D(θ) "
              "relative to its objective P(h), a certificate (the objective is at most that far above the "
              "optimum); certified: the share of clips with rel. gap ≤ " + format_number(lasso.tol, 8) +
              "; iterations: Newton steps for the active-set solver.";
  t.columns = {"Modality", "Solver", "Max rel. gap", "Mean rel. gap", "Certified", "Mean iterations",
               "s per 1000", "Max KKT/λ"};
  for (const char* name : {"audio", "visual"}) {
    for (const char* which : {"solver", "original_ista"}) {
      const auto& r = result.at(name).at(which);
      const std::string label = which == std::string("solver") ? r.at("solver").get<std::string>()
                                                               : "ista (original)";
      auto sci = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2e", v);
        return std::string(buf);
      };
      t.add_row({name, label, sci(r.at("max_relative_gap").get<double>()),
                 sci(r.at("mean_relative_gap").get<double>()),
                 format_number(100 * r.at("certified").get<double>(), 0) + " %",
                 format_number(r.at("mean_iterations").get<double>(), 0),
                 format_number(r.at("seconds_per_1000").get<double>(), 2),
                 sci(r.at("max_kkt_over_lambda").get<double>())});
    }
  }
  ctx.write_table("exfmem_solver", t);
  ctx.results["tables"]["exfmem_solver"] = t.to_json();
  ctx.results["exfmem_solver"] = result;
}

}  // namespace avr::study
