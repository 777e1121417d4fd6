// How well ExFMem's Lasso is solved at the study's tolerance: on clean test
// features of the Concat model, FISTA at `exfmem_tol` against a reference
// solve (FISTA at 1e-9, up to 20000 iterations): iterations, the objective gap
// relative to the objective, the KKT residual relative to λ, and the time.
#include <iostream>

#include "avr/core/timer.h"
#include "avr/data/loader.h"
#include "avr/defenses/lasso.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/report/table.h"
#include "study_steps.h"

namespace avr::study {

void exfmem_solver(StudyContext& ctx) {
  const auto& c = ctx.config;
  const auto& trained = ctx.model("concat");
  const int64_t clips = 32;
  const MemoryBankSettings banks = ctx.bank_settings();
  nlohmann::json config = {{"model_key", trained.key}, {"banks", banks}, {"lambda", c.exfmem_lambda},
                           {"tol", c.exfmem_tol}, {"max_iter", c.exfmem_max_iter}, {"clips", clips},
                           {"gap", "share of the reference's decrease from h = 0"}};
  bool ran = false;
  auto result = ctx.cache.get_or_run(
      "exfmem-solver", config,
      [&] {
        std::cerr << "study: ExFMem solver accuracy\n";
        auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
        const ExFMemSettings es = ctx.exfmem_settings();
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
          Timer t;
          const auto r = solve_lasso(*dict, f, s);
          const double seconds = t.seconds();
          LassoSettings ref = s;
          ref.tol = 1e-9;
          ref.max_iter = 10000;
          const auto rr = solve_lasso(*dict, f, ref);
          const auto gap = lasso_objective_gap(*dict, f, r.h, rr.h, s.lambda);
          // The gap as a share of the decrease the reference achieved from
          // h = 0 (objective ½‖f‖²): with more columns than dimensions the
          // optimum can be near 0, where a gap relative to it means little.
          const auto obj = lasso_objective(*dict, f, torch::zeros_like(rr.h), s.lambda) -
                           lasso_objective(*dict, f, rr.h, s.lambda);
          const auto kkt = lasso_kkt_residual(*dict, f, r.h, s.lambda);
          out[name] = {{"features", f.size(0)},
                       {"mean_iterations", r.iterations.to(torch::kDouble).mean().item<double>()},
                       {"converged", r.converged.to(torch::kDouble).mean().item<double>()},
                       {"max_relative_gap", (gap / obj).max().item<double>()},
                       {"mean_relative_gap", (gap / obj).mean().item<double>()},
                       {"max_kkt_over_lambda", kkt.max().item<double>() / s.lambda},
                       {"reference_converged", rr.converged.to(torch::kDouble).mean().item<double>()},
                       {"seconds_per_1000", 1000 * seconds / f.size(0)}};
        }
        return out;
      },
      &ran);
  ctx.note_step("exfmem-solver", ran);
  Table t;
  t.caption = "ExFMem's Lasso as the study solves it (FISTA, tolerance " + format_number(c.exfmem_tol, 6) +
              ", at most " + std::to_string(c.exfmem_max_iter) + " iterations, λ = " +
              format_number(c.exfmem_lambda, 3) + ", bank of " + std::to_string(c.bank_columns) +
              " columns) on " + std::to_string(clips) + " clean test features of the Concat model, against a "
              "reference FISTA solve (tolerance 1e-9, up to 10000 iterations). Rel. gap: the objective above the "
              "reference's, as a share of the decrease the reference achieved from h = 0; KKT residual / λ.";
  t.columns = {"Modality", "Mean iterations", "Converged", "Max rel. gap", "Max KKT/λ", "s per 1000",
               "Reference converged"};
  for (const char* name : {"audio", "visual"}) {
    const auto& r = result.at(name);
    t.add_row({name, format_number(r.at("mean_iterations").get<double>(), 0),
               format_number(r.at("converged").get<double>(), 2),
               format_number(r.at("max_relative_gap").get<double>(), 8),
               format_number(r.at("max_kkt_over_lambda").get<double>(), 4),
               format_number(r.at("seconds_per_1000").get<double>(), 2),
               format_number(r.at("reference_converged").get<double>(), 2)});
  }
  write_table_files(ctx.dir("tables") / "exfmem_solver", t);
  ctx.results["tables"]["exfmem_solver"] = t.to_json();
  ctx.results["exfmem_solver"] = result;
}

}  // namespace avr::study
