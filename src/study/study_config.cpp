#include "avr/study/study_config.h"

#include <algorithm>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {

void StudyConfig::validate() const {
  AVR_CHECK(dataset == "embedded" || dataset == "music" || dataset == "kinetics" || dataset == "ave",
            "study dataset '", dataset, "' is unknown: use embedded, music, kinetics or ave");
  AVR_CHECK(!out.empty(), "the study needs an output folder (--out DIR)");
  AVR_CHECK(dataset == "embedded" || !data_root.empty(), "the ", dataset,
            " dataset is not shipped: give --data-root, the folder with audio/ and frames/ "
            "(see `avr extract` to make it from videos)");
  budget.validate();
  AVR_CHECK(attack_limit >= 0 && sweep_limit >= 0 && localization_limit >= 0 && tsne_limit >= 0,
            "clip limits must be >= 0 (0 means the whole split)");
  AVR_CHECK(!sweep_eps.empty(), "the eps sweep needs at least one eps");
  for (size_t i = 0; i < sweep_eps.size(); ++i) {
    AVR_CHECK(sweep_eps[i] >= 0, "sweep eps must be >= 0, got ", sweep_eps[i]);
    AVR_CHECK(i == 0 || sweep_eps[i] > sweep_eps[i - 1],
              "sweep eps must increase (the sweep stops at the crossings), got ", sweep_eps[i - 1],
              " then ", sweep_eps[i]);
  }
  AVR_CHECK(!sweep_attacks.empty(), "the eps sweep needs at least one attack");
  for (const auto& a : sweep_attacks) {
    const auto names = attack_names();
    AVR_CHECK(std::find(names.begin(), names.end(), a) != names.end(), "unknown sweep attack '", a,
              "': use fgsm, pgd, mim or apgd");
  }
  AVR_CHECK(batch_size > 0, "batch size must be positive, got ", batch_size);
  banks.validate();
  exfmem.validate();
  // The adaptive table attacks through ExFMem with its implicit gradient too.
  for (const LassoSettings* lasso : {&exfmem.audio, &exfmem.visual})
    check_exfmem_gradient(ExFMemGradient::kImplicit, *lasso);
  autoattack.validate();
  AVR_CHECK(autoattack_limit >= 0, "the AutoAttack tables' clip limit must be >= 0 (0: adaptive_limit)");
  AVR_CHECK(adaptive_limit >= 0, "the adaptive table's clip limit must be >= 0 (0: attack_limit)");
  AVR_CHECK(examples >= 0 && localization_examples >= 0, "example counts must be >= 0");
  AVR_CHECK(tsne_iterations >= 250, "t-SNE needs at least 250 iterations (its early exaggeration "
            "phase), got ", tsne_iterations);
}

void to_json(nlohmann::json& j, const StudyConfig& c) {
  j = {{"dataset", c.dataset},
       {"profile", c.profile},
       {"data_root", c.data_root.string()},
       {"out", c.out.string()},
       {"seed", c.seed},
       {"device", c.device},
       {"workers", c.workers},
       {"train_preset", c.train_preset},
       {"finetune_preset", c.finetune_preset},
       {"epochs_override", c.epochs_override},
       {"limit_train", c.limit_train},
       {"init_from_unimodal", c.init_from_unimodal},
       {"visual_imagenet", c.visual_imagenet.string()},
       {"attack_limit", c.attack_limit},
       {"batch_size", c.batch_size},
       {"sweep_attacks", c.sweep_attacks},
       {"sweep_eps", c.sweep_eps},
       {"sweep_limit", c.sweep_limit},
       {"banks", c.banks},
       {"exfmem", c.exfmem},
       {"adaptive_attack", c.adaptive_attack},
       {"adaptive_limit", c.adaptive_limit},
       {"autoattack", c.autoattack},
       {"autoattack_limit", c.autoattack_limit},
       {"localization_attack", c.localization_attack},
       {"localization_limit", c.localization_limit},
       {"localization_examples", c.localization_examples},
       {"tsne_limit", c.tsne_limit},
       {"tsne_iterations", c.tsne_iterations},
       {"examples", c.examples}};
  j.update(nlohmann::json(c.budget));
}

void from_json(const nlohmann::json& j, StudyConfig& c) {
  JsonFields f(j, "study config");
  f.read("dataset", c.dataset);
  f.read("profile", c.profile);
  std::string data_root = c.data_root.string(), out = c.out.string(),
              visual_imagenet = c.visual_imagenet.string();
  f.read("data_root", data_root);
  f.read("out", out);
  f.read("visual_imagenet", visual_imagenet);
  c.data_root = data_root;
  c.out = out;
  c.visual_imagenet = visual_imagenet;
  f.read("seed", c.seed);
  f.read("device", c.device);
  f.read("workers", c.workers);
  f.read("train_preset", c.train_preset);
  f.read("finetune_preset", c.finetune_preset);
  f.read("epochs_override", c.epochs_override);
  f.read("limit_train", c.limit_train);
  f.read("init_from_unimodal", c.init_from_unimodal);
  f.read("attack_limit", c.attack_limit);
  f.read("batch_size", c.batch_size);
  f.read("sweep_attacks", c.sweep_attacks);
  f.read("sweep_eps", c.sweep_eps);
  f.read("sweep_limit", c.sweep_limit);
  f.read("banks", c.banks);
  f.read("exfmem", c.exfmem);
  f.read("adaptive_attack", c.adaptive_attack);
  f.read("adaptive_limit", c.adaptive_limit);
  f.read("autoattack", c.autoattack);
  f.read("autoattack_limit", c.autoattack_limit);
  f.read("localization_attack", c.localization_attack);
  f.read("localization_limit", c.localization_limit);
  f.read("localization_examples", c.localization_examples);
  f.read("tsne_limit", c.tsne_limit);
  f.read("tsne_iterations", c.tsne_iterations);
  f.read("examples", c.examples);
  // The budget's keys sit beside the others (to_json merges them).
  nlohmann::json budget = c.budget;
  for (const char* key : {"eps_space", "eps_single", "eps_both"}) {
    const nlohmann::json& value = f.raw(key);  // null when absent
    if (!value.is_null()) budget[key] = value;
  }
  c.budget = budget.get<AttackBudget>();
  f.finish();
}

std::vector<std::string> study_profile_names() {
  return {"smoke", "default", "large", "paper", "full"};
}

StudyConfig study_profile(const std::string& dataset, const std::string& profile) {
  StudyConfig c;
  c.dataset = dataset;
  c.profile = profile;
  if (dataset != "embedded") {
    AVR_CHECK(profile == "full", "the ", dataset, " dataset has one study profile, 'full' (got '",
              profile, "'); the smoke/default/large/paper profiles size the embedded dataset");
    // The original scripts: every model trained on its own (ORIGINAL.md).
    c.train_preset = c.finetune_preset = dataset;
    c.init_from_unimodal = false;
    c.exfmem.mix = default_exfmem_mix(dataset);  // the original's value (Kinetics-Sounds: 0.6)
    return c;
  }
  if (profile == "smoke") {
    // Structure only (make test): the tiny data, one epoch, a few clips per experiment.
    c.train_preset = "embedded-tiny";
    c.finetune_preset = "embedded-tiny-finetune";
    c.attack_limit = 16;
    c.batch_size = 16;
    c.sweep_eps = {0.0, 0.006, 0.012};
    c.sweep_limit = 16;
    c.banks.columns = 64;
    c.localization_limit = 16;
    c.localization_examples = 2;
    c.tsne_limit = 24;
    c.tsne_iterations = 250;
    c.examples = 1;
    c.autoattack.steps = 3;
    c.autoattack.targets = 2;
    c.autoattack.square_queries = 20;
    c.autoattack_limit = 8;
    return c;
  }
  if (profile == "default") {
    c.train_preset = "embedded-default";
    c.finetune_preset = "embedded-default-finetune";
    c.attack_limit = 200;
    c.adaptive_limit = 64;
    // AutoAttack at a fifth of its iterations and a tenth of its queries (the whole
    // ensemble stays within a few minutes on 2 cores); the large and full profiles run
    // AutoAttack's own budgets.
    c.autoattack.steps = 20;
    c.autoattack.targets = 3;
    c.autoattack.square_queries = 500;
    c.sweep_limit = 100;
    c.localization_limit = 200;
    c.tsne_limit = 300;
    return c;
  }
  if (profile == "large") {
    c.train_preset = "embedded-large";
    c.finetune_preset = "embedded-large-finetune";
    c.sweep_limit = 300;
    c.tsne_limit = 500;
    return c;
  }
  if (profile == "paper") {
    // The paper's questions at the paper's input size (224 px, 65535 samples, ε 0.012 /
    // 0.006: the budget's defaults) on the `paper` synth profile, every limit sized so the
    // whole study takes about two hours on a 2-core AVX2 machine: docs/paper_profile.md
    // gives each step's clips, the throughput measured for it and its seconds. At 224 px
    // a clip costs 7-14x what it costs at 48 px, so the limits are about a fifth of the
    // default profile's. Beside `large` (same sizes, 10x the clips, no time budget).
    c.train_preset = "embedded-paper";
    c.finetune_preset = "embedded-paper-finetune";
    c.attack_limit = 40;
    c.adaptive_limit = 16;
    c.autoattack_limit = 16;
    // A quarter of the default profile's APGD steps, a fifth of its Square queries.
    c.autoattack.steps = 5;
    c.autoattack.targets = 3;
    c.autoattack.square_queries = 100;
    // The paper's range at 224 px (up to 0.03; its Fig. 3), doubling from 0.001.
    c.sweep_eps = {0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032};
    c.sweep_limit = 20;
    c.localization_limit = 40;
    c.tsne_limit = 80;
    return c;
  }
  AVR_FAIL("unknown study profile '", profile,
           "' for the embedded dataset: use smoke, default, large or paper");
}

}  // namespace avr
