#include "avr/eval/embeddings.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/core/progress.h"
#include "avr/data/loader.h"
#include "avr/dist/process_group.h"
#include "eval_pass.h"

namespace avr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Features of the clips in raw units; after ExFMem when asked.
Features features(const DefendedModel& m, const FeatureModel& net, bool defended,
                  const torch::Tensor& audio, const torch::Tensor& frames) {
  torch::NoGradGuard ng;
  Features f = net.encode(audio, frames);
  return defended ? m.defend(f, ExFMemGradient::kNone) : f;
}

// Why L2-normalize before t-SNE and the stats: the audio and visual encoders
// put features on unrelated scales (and training, e.g. MinSim's cosine term,
// shapes their directions, not their norms), so raw Euclidean distances in a
// joint map would be ruled by whichever modality has the larger norms, and an
// attack's effect would mix a norm change with a change of direction. On unit
// vectors ‖a − b‖² = 2(1 − cos(a, b)): the map, the stats and the
// nearest-neighbour check all see the same cosine geometry.
torch::Tensor unit_rows(const torch::Tensor& f) {
  return torch::nn::functional::normalize(
      f.to(torch::kFloat64), torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
}

const torch::Tensor& group_features(const ClipEmbeddings& e, EmbeddingGroup g) {
  switch (g) {
    case EmbeddingGroup::Audio: return e.audio;
    case EmbeddingGroup::Visual: return e.visual;
    case EmbeddingGroup::AttackedAudio: return e.attacked_audio;
    case EmbeddingGroup::AttackedVisual: return e.attacked_visual;
  }
  AVR_ASSERT(false, "unknown embedding group");
}

bool is_attacked(EmbeddingGroup g) {
  return g == EmbeddingGroup::AttackedAudio || g == EmbeddingGroup::AttackedVisual;
}

// The clean group an attacked one is compared with (a clean group: itself).
EmbeddingGroup reference_group(EmbeddingGroup g) {
  if (g == EmbeddingGroup::AttackedAudio) return EmbeddingGroup::Audio;
  if (g == EmbeddingGroup::AttackedVisual) return EmbeddingGroup::Visual;
  return g;
}

struct ClassDistances {
  double nn_accuracy, intra_inter_ratio, silhouette;
};

// `dist` [n, n]: distance from query i to reference j, where query i and
// reference i are the same clip (the pair is skipped); `labels` [n] of both.
ClassDistances class_distances(torch::Tensor dist, const torch::Tensor& labels,
                               int64_t classes) {
  const int64_t n = dist.size(0);
  const auto onehot = torch::one_hot(labels, classes).to(torch::kFloat64);  // [n, K]
  const auto keep = 1 - torch::eye(n, torch::kFloat64);
  const auto sums = torch::mm(dist * keep, onehot), counts = torch::mm(keep, onehot);  // [n, K]
  const auto own = onehot.to(torch::kBool);

  dist.fill_diagonal_(std::numeric_limits<double>::infinity());
  const auto nearest = labels.index_select(0, dist.argmin(1));
  const double nn = nearest.eq(labels).to(torch::kFloat64).mean().item<double>();

  const double intra = sums.masked_select(own).sum().item<double>() /
                       counts.masked_select(own).sum().item<double>();
  const double inter = sums.masked_select(~own).sum().item<double>() /
                       counts.masked_select(~own).sum().item<double>();

  // Silhouette: a = mean distance to the own class, b = the nearest other class's.
  const auto means = sums / counts;  // NaN where a class has no reference point
  const auto a = means.masked_select(own);
  const auto b = std::get<0>(means.masked_fill(own | counts.eq(0),
                                               std::numeric_limits<double>::infinity())
                                 .min(1));
  auto s = (b - a) / torch::max(a, b);
  s = torch::where(counts.masked_select(own).gt(0) & b.isfinite(), s, torch::zeros_like(s));
  return {nn, intra / inter, s.mean().item<double>()};
}

}  // namespace

void EmbeddingSettings::validate() const {
  AVR_CHECK(std::isfinite(budget.eps_single) && budget.eps_single >= 0, "embeddings: eps must be ≥ 0, got ",
            budget.eps_single);
  AVR_CHECK(batch_size >= 1, "embeddings: batch size must be ≥ 1, got ", batch_size);
  AVR_CHECK(limit >= 0, "embeddings: limit must be ≥ 0 (0: the whole split), got ", limit);
  AVR_CHECK(workers >= 0, "embeddings: workers must be ≥ 0, got ", workers);
  make_attack(attack, attack_settings);  // names the unknown attack or field
  budget.threat(Modality::Audio).validate();
  budget.threat(Modality::Visual).validate();
}

void to_json(nlohmann::json& j, const EmbeddingSettings& s) {
  j = {{"attack", s.attack},
       {"attack_settings", s.attack_settings},
       {"eps", s.budget.eps_single},
       {"eps_space", to_string(s.budget.space)},
       {"defended_features", s.defended_features},
       {"through_defense", to_string(s.through_defense)},
       {"batch_size", s.batch_size},
       {"limit", s.limit},
       {"seed", s.seed}};
}

ClipEmbeddings collect_embeddings(const DefendedModel& m, const AvDataset& dataset,
                                  const ClipSettings& clip, const EmbeddingSettings& s,
                                  const torch::Device& device, bool show_progress,
                                  dist::ProcessGroup* group) {
  s.validate();
  const bool sharded = group && group->distributed();
  AVR_CHECK(m.model || m.forward_model, "embeddings: no model given");
  const auto net = m.feature_model();
  AVR_CHECK(net, "embeddings: ", m.describe(),
            " gives no features of its own (forward only); give the TorchScript module "
            "encode(audio, frames) -> (f_a, f_v) and classify(f_a, f_v) -> logits methods "
            "(docs/own_models.md)");
  AVR_CHECK(net->has_audio() && net->has_visual(),
            "embeddings: the t-SNE figures need audio and visual features, but this is a '",
            m.describe(), "' model; use an audio-visual one (avr train --model av)");
  if (m.model) AvModel(m.model)->eval();  // a TorchScript module is in eval mode already

  ClipEmbeddings out;
  out.classes = dataset.classes();
  out.attack = s.attack;
  auto attack = make_seeded_attack(s.attack, s.attack_settings, s.seed);
  out.attack_settings = attack->settings_json();
  out.audio_threat = s.budget.threat(Modality::Audio);
  out.visual_threat = s.budget.threat(Modality::Visual);

  BatchLoader loader(dataset, clip,
                     detail::eval_loader_settings(s.batch_size, s.limit, s.workers, group));
  const auto progress = detail::eval_progress(show_progress, "embeddings", loader, group);

  std::vector<torch::Tensor> audio_f, visual_f, adv_audio_f, adv_visual_f, labels_all, indices;
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    auto audio = b->audio.to(device), frames = b->frames.to(device), labels = b->labels.to(device);
    const Features clean = features(m, *net, s.defended_features, audio, frames);
    auto attacked = [&](const ThreatModel& threat) {
      // The per-clip draws evaluate_robustness uses for these clips and modality.
      auto objective = batch_objective(m, audio, frames, s.through_defense);
      auto adv = attack->run_on_clips(objective, b->indices, audio, frames, labels, threat);
      return features(m, *net, s.defended_features, adv.audio, adv.frames);
    };
    adv_audio_f.push_back(attacked(out.audio_threat).audio.cpu());
    adv_visual_f.push_back(attacked(out.visual_threat).visual.cpu());
    audio_f.push_back(clean.audio.cpu());
    visual_f.push_back(clean.visual.cpu());
    labels_all.push_back(b->labels);
    indices.push_back(b->indices);
    if (progress) progress->advance(b->labels.size(0));
  }
  if (progress) progress->finish();
  std::vector<std::vector<torch::Tensor>*> columns{&audio_f, &visual_f, &adv_audio_f, &adv_visual_f, &labels_all, &indices};
  if (sharded) {
    // Every rank's rows (pickled by LibTorch; a rank without batches sends nothing), back
    // in dataset order below.
    std::string mine;
    if (!labels_all.empty()) {
      c10::List<torch::Tensor> list;
      for (auto* c : columns) list.push_back(torch::cat(*c));
      const std::vector<char> bytes = torch::pickle_save(list);
      mine.assign(bytes.begin(), bytes.end());
    }
    for (auto* c : columns) c->clear();
    for (const auto& bytes : group->all_gather_bytes(mine)) {
      if (bytes.empty()) continue;
      const auto list = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toTensorList();
      AVR_ASSERT(list.size() == columns.size(), "an embedding shard has ", list.size(), " columns");
      for (size_t k = 0; k < columns.size(); ++k) columns[k]->push_back(list.get(k));
    }
  }
  AVR_CHECK(!labels_all.empty(), "embeddings: the ", dataset.split(), " split has no clips");
  out.audio = torch::cat(audio_f);
  out.visual = torch::cat(visual_f);
  out.attacked_audio = torch::cat(adv_audio_f);
  out.attacked_visual = torch::cat(adv_visual_f);
  out.labels = torch::cat(labels_all);
  out.indices = torch::cat(indices);
  if (sharded) {  // rank order is not the dataset's
    const auto order = out.indices.argsort();
    for (auto* t : {&out.audio, &out.visual, &out.attacked_audio, &out.attacked_visual, &out.labels, &out.indices})
      *t = t->index_select(0, order);
  }
  return out;
}

std::string to_string(EmbeddingGroup g) {
  switch (g) {
    case EmbeddingGroup::Audio: return "audio";
    case EmbeddingGroup::Visual: return "visual";
    case EmbeddingGroup::AttackedAudio: return "attacked audio";
    case EmbeddingGroup::AttackedVisual: return "attacked visual";
  }
  AVR_ASSERT(false, "unknown embedding group");
}

std::vector<EmbeddingGroup> paper_figure_groups(int figure) {
  using G = EmbeddingGroup;
  switch (figure) {
    case 5: return {G::Audio, G::Visual};
    case 10: return {G::Audio, G::Visual, G::AttackedAudio};
    case 11: return {G::Audio, G::Visual, G::AttackedVisual};
  }
  AVR_FAIL("the paper's t-SNE figures are 5, 10 and 11, not ", figure);
}

void to_json(nlohmann::json& j, const GroupStats& s) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  j = {{"group", s.group},
       {"points", s.points},
       {"nn_accuracy", num(s.nn_accuracy)},
       {"intra_inter_ratio", num(s.intra_inter_ratio)},
       {"silhouette", num(s.silhouette)},
       {"map_silhouette", num(s.map_silhouette)},
       {"shift", num(s.shift)}};
}

void from_json(const nlohmann::json& j, GroupStats& s) {
  GroupStats out;
  JsonFields f(j, "embedding group stats");
  f.require("group", out.group);
  f.require("points", out.points);
  auto num = [&](const char* key, double& v) {
    AVR_CHECK(f.has(key), "embedding group stats: key '", key, "' is missing");
    const auto& x = f.raw(key);
    AVR_CHECK(x.is_null() || x.is_number(), "embedding group stats: key '", key, "' must be a number or null, got ",
              x.dump());
    v = x.is_null() ? NAN : x.get<double>();
  };
  num("nn_accuracy", out.nn_accuracy);
  num("intra_inter_ratio", out.intra_inter_ratio);
  num("silhouette", out.silhouette);
  num("map_silhouette", out.map_silhouette);
  num("shift", out.shift);
  f.finish();
  s = out;
}

const GroupStats& EmbeddingMap::stats_of(EmbeddingGroup g) const {
  for (size_t i = 0; i < groups.size(); ++i)
    if (groups[i] == g) return stats.at(i);
  AVR_FAIL("the t-SNE map has no '", to_string(g), "' group");
}

void to_json(nlohmann::json& j, const EmbeddingMap& m) {
  std::vector<std::string> names;
  for (auto g : m.groups) names.push_back(to_string(g));
  j = {{"groups", names},
       {"stats", m.stats},
       {"tsne_kl", m.tsne.kl},
       {"tsne_learning_rate", m.tsne.learning_rate}};
}

EmbeddingMap embedding_map(const ClipEmbeddings& e, const std::vector<EmbeddingGroup>& groups,
                           const TsneSettings& settings, const std::string& title) {
  AVR_CHECK(!groups.empty(), "t-SNE map: choose at least one group (audio, visual, ...)");
  const int64_t n = e.size(), k = static_cast<int64_t>(e.classes.size());
  AVR_CHECK(n >= 2, "t-SNE map: needs at least 2 clips, got ", n);
  AVR_CHECK(k >= 1 && e.labels.max().item<int64_t>() < k, "t-SNE map: labels exceed the ", k,
            " class names");
  for (size_t i = 0; i < groups.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      AVR_CHECK(groups[i] != groups[j], "t-SNE map: group '", to_string(groups[i]),
                "' is listed twice");

  EmbeddingMap out;
  out.groups = groups;
  std::vector<torch::Tensor> rows;
  for (auto g : groups) {
    const auto& f = group_features(e, g);
    AVR_CHECK(f.defined() && f.dim() == 2 && f.size(0) == n, "t-SNE map: group '", to_string(g),
              "' needs [", n, ", d] features");
    rows.push_back(unit_rows(f));
  }
  // One joint map: all groups share one embedding, as in the paper's figures.
  out.tsne = tsne(torch::cat(rows), settings);
  const auto map = out.tsne.embedding;
  const auto labels = e.labels.to(torch::kCPU, torch::kInt64).contiguous();

  out.plot.title = title;
  out.plot.show_axes = false;  // t-SNE coordinates have no units
  out.plot.classes = e.classes;
  const bool both_attacked =
      std::count(groups.begin(), groups.end(), EmbeddingGroup::AttackedAudio) &&
      std::count(groups.begin(), groups.end(), EmbeddingGroup::AttackedVisual);
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const EmbeddingGroup g = groups[gi];
    const auto pts = map.narrow(0, static_cast<int64_t>(gi) * n, n).contiguous();

    // Stats against the reference group, in feature space and on the map.
    const auto ref = reference_group(g);
    const auto ref_rows = unit_rows(group_features(e, ref));
    GroupStats st;
    st.group = to_string(g);
    st.points = n;
    const auto c = class_distances(1 - torch::mm(rows[gi], ref_rows.t()), labels, k);
    st.nn_accuracy = c.nn_accuracy;
    st.intra_inter_ratio = c.intra_inter_ratio;
    st.silhouette = c.silhouette;
    st.shift = is_attacked(g) ? (1 - (rows[gi] * ref_rows).sum(1)).mean().item<double>() : kNaN;
    const auto ref_it = std::find(groups.begin(), groups.end(), ref);
    if (ref_it != groups.end()) {
      const auto ref_pts = map.narrow(0, (ref_it - groups.begin()) * n, n);
      st.map_silhouette = class_distances(torch::cdist(pts, ref_pts), labels, k).silhouette;
    } else {
      st.map_silhouette = kNaN;  // the clean group is not on this map
    }
    out.stats.push_back(st);

    ScatterGroup sg;
    sg.name = to_string(g);
    // The paper's markers: audio ●, visual ▲, attacked ★; when both attacked
    // groups are drawn, attacked visual becomes ◆ so the two stay apart.
    sg.marker = g == EmbeddingGroup::Audio    ? Marker::circle
                : g == EmbeddingGroup::Visual ? Marker::triangle
                : (g == EmbeddingGroup::AttackedVisual && both_attacked) ? Marker::diamond
                                                                         : Marker::star;
    const auto xy = pts.accessor<double, 2>();
    const auto cls = labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < n; ++i) {
      sg.x.push_back(xy[i][0]);
      sg.y.push_back(xy[i][1]);
      sg.cls.push_back(static_cast<int>(cls[i]));
    }
    out.plot.groups.push_back(std::move(sg));
  }
  return out;
}

}  // namespace avr
