// Figures 5, 10, 11: t-SNE of clean and attacked embeddings of the Concat
// model (w/o MinSim) and the MinSim model, with the numbers that say what
// the pictures show (nearest-neighbour class accuracy, silhouette, shift).
#include <iostream>

#include "avr/core/fs.h"
#include "avr/eval/embeddings.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/report/table.h"
#include "study_steps.h"

namespace avr::study {
namespace {

struct FigureSpec {
  int number;
  const char* caption;
};

const FigureSpec kFigures[] = {
    {5, "Figure 5: clean audio (●) and visual (▲) embeddings; colors are classes."},
    {10, "Figure 10: clean audio (●) and visual (▲) with the audio of ✗A-attacked clips (★)."},
    {11, "Figure 11: clean audio (●) and visual (▲) with the visual of ✗V-attacked clips (★)."}};

}  // namespace

void embeddings(StudyContext& ctx) {
  const auto& c = ctx.config;
  EmbeddingSettings es;
  es.attack = "pgd";
  es.budget = c.budget;  // its eps_single: the ✗A and ✗V attacks'
  es.batch_size = c.batch_size;
  es.limit = c.tsne_limit;
  es.seed = c.seed;
  es.workers = c.workers;
  TsneSettings ts;
  ts.iterations = c.tsne_iterations;
  ts.seed = c.seed;
  // Perplexity 30 needs > 90 points for a readable map; fewer (the smoke
  // profile) get a third of the neighbours they have.
  if (c.tsne_limit > 0) ts.perplexity = std::min(ts.perplexity, (c.tsne_limit - 1) / 3.0);
  const auto dir = ctx.dir("figures");
  nlohmann::json per_model = nlohmann::json::object();
  for (const char* model : {"concat", "minsim"}) {
    const auto& trained = ctx.model(model);
    nlohmann::json config = {{"model_key", trained.key}, {"embedding", es}, {"tsne", ts}};
    const std::string step = std::string("tsne-") + model;
    auto result = ctx.run_step(
        step, config,
        [&] {
          if (ctx.is_root()) std::cerr << "study: " << step << "\n";
          auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
          DefendedModel dm = m.attackable();
          // Clips sharded over the ranks; the map is rank 0's (t-SNE runs on one process).
          const auto e = collect_embeddings(dm, m.split("test"), m.clip, es, ctx.device, ctx.progress, ctx.group);
          if (!ctx.is_root()) return nlohmann::json();  // rank 0's record is the step's result
          nlohmann::json figs = nlohmann::json::object();
          std::vector<std::filesystem::path> written;  // the figures the report embeds
          for (const auto& f : kFigures) {
            const auto map = embedding_map(e, paper_figure_groups(f.number), ts,
                                           std::string(model == std::string("concat") ? "w/o MinSim" : "w/ MinSim"));
            const auto path = dir / ("tsne_fig" + std::to_string(f.number) + "_" + model + ".svg");
            write_file_atomic(path, map.plot.to_svg());
            written.push_back(path);
            figs[std::to_string(f.number)] = {{"svg", path.string()}, {"map", map}};
          }
          return nlohmann::json{{"clips", e.size()}, {"figures", figs}, {"files", StepCache::file_digests(written)}};
        },
        StepRanks::Shared,
        [](const nlohmann::json& r) { return r.contains("files") ? StepCache::files_problem(r["files"]) : ""; });
    per_model[model] = result;
  }

  nlohmann::json figures = nlohmann::json::array();
  for (const auto& f : kFigures) {
    const auto key = std::to_string(f.number);
    figures.push_back({{"caption", std::string(f.caption) + " t-SNE of " +
                                       std::to_string(per_model["concat"]["clips"].get<int64_t>()) +
                                       " test clips; attacks: PGD at ε = " + format_number(c.budget.eps_single, 3) + "."},
                       {"without", per_model["concat"]["figures"][key]["svg"]},
                       {"with", per_model["minsim"]["figures"][key]["svg"]}});
  }
  // Fig. 11's map holds every group the numbers need except attacked audio (Fig. 10's).
  Table t;
  t.caption = "What the t-SNE figures show, measured on the 512-d features (cosine): fraction of points whose "
              "nearest clean point of the same modality has their class (attacked points: of the other clips), "
              "silhouette against the clean points, and how far the attack moved a feature (cosine distance).";
  t.columns = {"Model", "Group", "1-NN class accuracy", "Silhouette", "Attack shift"};
  nlohmann::json stats = nlohmann::json::object();
  for (const char* model : {"concat", "minsim"}) {
    const std::string title = model == std::string("concat") ? "w/o MinSim (Concat)" : "w/ MinSim";
    for (const auto& [fig, group] : {std::pair{"11", "audio"}, {"11", "visual"}, {"10", "attacked audio"},
                                     {"11", "attacked visual"}}) {
      for (const auto& g : per_model[model]["figures"][fig]["map"]["stats"]) {
        if (g["group"] != group) continue;
        const double shift = g["shift"].is_number() ? g["shift"].get<double>() : NAN;
        t.add_row({title, group, format_number(g["nn_accuracy"].get<double>(), 3),
                   format_number(g["silhouette"].get<double>(), 3), format_number(shift, 3)});
        stats[model][group] = g;
      }
    }
  }
  ctx.write_table("embeddings", t);
  ctx.results["tables"]["embeddings"] = t.to_json();
  ctx.results["embeddings"] = {{"figures", figures}, {"stats", stats}, {"tsne", ts}, {"settings", es}};
}

}  // namespace avr::study
