// Adversarial examples for the report: for the first test clips, the clean and
// attacked frame with the perturbation made visible, and the clean and attacked
// audio with their spectrograms, plus what the Concat model predicts for each.
#include <iostream>

#include "avr/attacks/attack.h"
#include "avr/core/fs.h"
#include "avr/data/clip.h"
#include "avr/eval/adversarial_examples.h"
#include "avr/eval/defended_model.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"
#include "avr/report/raster.h"
#include "avr/report/spectrogram.h"
#include "avr/report/wav_bytes.h"
#include "study_steps.h"
#include "avr/data/tensor_media.h"

namespace avr::study {

void adversarial_examples(StudyContext& ctx) {
  const auto& c = ctx.config;
  if (c.examples == 0) return;
  const auto& trained = ctx.model("concat");
  const std::string attack_name = "pgd";
  nlohmann::json config = {{"model_key", trained.key}, {"examples", c.examples},
                           {"attack", attack_name},    {"eps", c.budget.eps_single},
                           {"space", to_string(c.budget.space)}, {"seed", c.seed}};
  const auto dir = ctx.dir("figures/examples");
  auto result = ctx.run_step(
      "examples", config,
      [&] {
        std::cerr << "study: adversarial examples\n";
        auto m = open_model_on_dataset(trained.checkpoint, ctx.spec, ctx.device);
        const auto test = m.split("test");
        const int64_t n = std::min<int64_t>(c.examples, test.size());
        std::vector<torch::Tensor> audios, frames;
        std::vector<int64_t> labels;
        for (int64_t i = 0; i < n; ++i) {
          auto clip = load_clip(test.layout(), test.row(i), m.clip, false, nullptr);
          audios.push_back(clip.audio);
          frames.push_back(clip.frame);
          labels.push_back(test.label(i));
        }
        auto audio = torch::stack(audios).to(ctx.device), frame = torch::stack(frames).to(ctx.device);
        auto y = torch::tensor(labels, torch::kInt64).to(ctx.device);
        DefendedModel dm = m.attackable();
        auto attack = make_attack(attack_name, {{"seed", c.seed}});
        auto objective = batch_objective(dm, audio, frame);
        const auto threat_v = c.budget.threat(Modality::Visual), threat_a = c.budget.threat(Modality::Audio);
        auto adv_v = attack->run(objective, audio, frame, y, threat_v);
        auto adv_a = attack->run(objective, audio, frame, y, threat_a);
        torch::NoGradGuard ng;
        auto pred_clean = dm.logits(audio, frame).argmax(1).cpu();
        auto pred_v = dm.logits(audio, adv_v.frames).argmax(1).cpu();
        auto pred_a = dm.logits(adv_a.audio, frame).argmax(1).cpu();
        const int rate = test.layout().sample_rate;
        nlohmann::json items = nlohmann::json::array();
        std::vector<std::filesystem::path> written;  // the files the report embeds
        for (int64_t i = 0; i < n; ++i) {
          const std::string stem = "clip" + std::to_string(i);
          // Quantized so the stored pairs stay within ε when read back (adversarial_examples.h).
          const int scale = std::max<int>(1, 192 / static_cast<int>(frame.size(3)));
          write_frame_example(dir, stem, frame[i], adv_v.frames[i], threat_v, scale);
          const AudioPair ap =
              write_audio_example(dir, stem, audio[i].flatten(), adv_a.audio[i].flatten(), threat_a, rate);
          const Audio &clean_wav = ap.clean, &adv_wav = ap.adversarial;
          SpectrogramSettings ss;
          if (clean_wav.frames() < ss.n_fft) ss.n_fft = 256, ss.hop = 64;
          const auto spec_clean = compute_spectrogram(clean_wav, ss);
          write_png(dir / (stem + "_spec_clean.png"), spectrogram_image(spec_clean, ss));
          write_png(dir / (stem + "_spec_adv.png"),
                    spectrogram_image(compute_spectrogram(adv_wav, ss), ss, spec_clean.max_magnitude()));
          for (const char* part : {"_frame_clean.png", "_frame_adv.png", "_perturbation.png", "_audio_clean.wav",
                                   "_audio_adv.wav", "_spec_clean.png", "_spec_adv.png"})
            written.push_back(dir / (stem + part));
          auto name = [&](const torch::Tensor& p) { return m.classes.at(p[i].item<int64_t>()); };
          items.push_back({{"stem", stem},
                           {"clip", test.row(i).frames},
                           {"label", m.classes.at(labels[i])},
                           {"pred_clean", name(pred_clean)},
                           {"pred_attacked_visual", name(pred_v)},
                           {"pred_attacked_audio", name(pred_a)},
                           {"max_linf_frames", (adv_v.frames[i] - frame[i]).abs().max().item<double>()},
                           {"max_linf_audio", (adv_a.audio[i] - audio[i]).abs().max().item<double>()}});
        }
        return nlohmann::json{{"dir", dir.string()}, {"items", items}, {"files", StepCache::file_digests(written)}};
      },
      StepRanks::Root,
      [](const nlohmann::json& r) { return r.contains("files") ? StepCache::files_problem(r["files"]) : ""; });
  result["attack"] = attack_name;
  result["eps"] = c.budget.eps_single;
  ctx.results["examples"] = result;
}

}  // namespace avr::study
