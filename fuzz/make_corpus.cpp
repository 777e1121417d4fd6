// Writes the seed corpora of fuzz/corpus/<target>/ with avr's own writers:
// small valid files of each format (and a few near-misses the readers must
// reject). Run by fuzz/make_corpus.sh, which adds the PyTorch state_dicts
// (written by PyTorch itself). Deterministic: the same files every run.
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "avr/core/fs.h"
#include "avr/core/sha256.h"
#include "avr/layout/split_csv.h"
#include "avr/media/image.h"
#include "avr/media/video_encoder.h"
#include "avr/media/wav.h"
#include "avr/models/checkpoint.h"
#include "avr/models/model_config.h"
#include "avr/report/table.h"
#include "avr/study/step_cache.h"
#include "avr/synth/manifest.h"
#include "avr/synth/profile.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

avr::Audio tone(int rate, int channels, int frames) {
  avr::Audio a;
  a.sample_rate = rate;
  a.channels = channels;
  for (int i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c) a.samples.push_back(0.5f * std::sin(0.05f * i * (c + 1)));
  return a;
}

avr::Image gradient(int w, int h, int shift) {
  avr::Image im(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = im.at(x, y);
      p[0] = static_cast<uint8_t>(x * 16 + shift), p[1] = static_cast<uint8_t>(y * 16), p[2] = 128;
    }
  return im;
}

void text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

void wavs(const fs::path& d) {
  avr::write_wav(d / "mono.wav", tone(11025, 1, 64));
  avr::write_wav(d / "stereo.wav", tone(8000, 2, 48));
  avr::write_wav(d / "empty.wav", tone(11025, 1, 0));
}

void images(const fs::path& d) {
  avr::write_png(d / "rgb.png", gradient(8, 6, 0));
  avr::write_jpeg(d / "rgb.jpg", gradient(8, 8, 7), 90);
  avr::write_jpeg(d / "odd.jpg", gradient(5, 3, 3), 50);
}

void splits(const fs::path& d) {
  avr::write_split_csv(d / "two.csv", {{"/piano/a.wav", "/piano/a.mp4", 8},
                                        {"/drum/b.wav", "/drum/b.mp4", 12}});
  text(d / "crlf_bom.csv", "\xEF\xBB\xBF/banjo/x.wav,/banjo/x.mp4,3\r\n\r\n/flute/y.wav,/flute/y.mp4,1\r\n");
}

void videos(const fs::path& d) {
  std::vector<avr::Image> frames;
  for (int i = 0; i < 4; ++i) frames.push_back(gradient(16, 12, 40 * i));
  const avr::Audio audio = tone(11025, 1, 11025 / 2);
  avr::EncodeSettings s;
  s.fps = 8;
  s.quality = 10;
  avr::write_video(d / "mpeg4_pcm.mkv", frames, audio, s);
  s.video_codec = "mjpeg";
  avr::write_video(d / "mjpeg_pcm.avi", frames, tone(22050, 2, 11025), s);
  s.video_codec = "mpeg4";
  s.display_rotation = 90;
  avr::write_video(d / "rotated.mp4", frames, audio, s);
}

void jsons(const fs::path& d) {
  const avr::SynthProfile tiny = avr::profile_by_name("tiny");
  avr::DatasetManifest m = avr::make_manifest(tiny, 1, "/usr/share/sounds/sf2/FluidR3_GM.sf2",
                                              "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf");
  m.files["train"] = {"splits/embedded_train.csv", std::string(64, 'a'), 4};
  text(d / "manifest.json", json(m).dump(2) + "\n");
  text(d / "profile_override.json", json{{"name", "tiny"}, {"train_clips", 4}, {"fps", 8}}.dump() + "\n");
  text(d / "profile_full.json", json(tiny).dump() + "\n");
  json boxes = {{"frame_width", 48}, {"frame_height", 48},
                {"boxes", {{"/piano/test_00000.mp4", {{1, 2, 20, 30}, {2, 2, 21, 30}}},
                           {"/drum/test_00001.mp4", {{0.5, 0, 48, 47.5}}}}}};
  text(d / "boxes.json", boxes.dump() + "\n");
  avr::Table t;
  t.caption = "Table 1";
  t.columns = {"model", "clean", "A", "V"};
  t.rows = {{"Concat", "80.0", "10.0", "5.0"}, {"Sum", "78.5", "12.0", "n/a"}};
  t.emphasis[{0, 1}] = avr::Emphasis::best;
  // A step record as the study's cache writes it, for the config the fuzz target looks up.
  const fs::path steps = d / "steps.tmp";
  fs::create_directories(steps);
  avr::StepCache(steps).store("step", json{{"fuzz", 1}},
                              json{{"tables", {{"table1", t.to_json()}}}, {"accuracy", 0.8}}, 1.5);
  fs::rename(steps / "step.json", d / "step_record.json");
  fs::remove_all(steps);
}

// An avr checkpoint as save_checkpoint writes it (same pickle, same keys), with
// a state_dict of two small tensors instead of a whole model (1 MB corpus budget).
void checkpoints(const fs::path& d) {
  avr::ModelConfig c;
  c.kind = "audio";
  c.num_classes = 2;
  c.image_size = 32;
  c.audio_length = 4096;
  auto write = [&](const fs::path& p, const c10::Dict<std::string, torch::Tensor>& state) {
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("format", std::string("avr-checkpoint"));
    root.insert("version", int64_t{1});
    root.insert("config", json(c).dump());
    root.insert("metadata", json{{"epoch", 1}, {"history", json::array()}}.dump());
    root.insert("state_dict", state);
    const auto bytes = torch::pickle_save(root);
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  c10::Dict<std::string, torch::Tensor> state;
  state.insert("classifier.bias", torch::tensor({0.25f, -0.5f}));
  state.insert("audio.bn1.num_batches_tracked", torch::tensor(int64_t{3}));
  write(d / "small.ckpt", state);
  write(d / "empty_state.ckpt", c10::Dict<std::string, torch::Tensor>());
  // Format 2 (what avr writes now: digests of every part, the identity) through the
  // writer save_checkpoint itself uses; origin with a parent and settings so that every
  // field of the identity is present.
  avr::CheckpointOrigin origin;
  origin.train_split = "train";
  origin.train_rows_sha256 = std::string(64, 'a');
  origin.settings = json{{"epochs", 1}};
  origin.parents = json::array({json{{"role", "init_audio"}, {"file", "audio/best.pt"}, {"sha256", std::string(64, 'b')}}});
  avr::save_checkpoint_state(d / "small_v2.ckpt", c, state, json{{"epoch", 1}, {"history", json::array()}},
                             origin);
  avr::save_checkpoint_state(d / "empty_state_v2.ckpt", c, c10::Dict<std::string, torch::Tensor>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus CORPUS_DIR\n";
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* t : {"wav", "image", "split_csv", "video", "json", "checkpoint", "state_dict"})
    fs::create_directories(root / t);
  wavs(root / "wav");
  images(root / "image");
  splits(root / "split_csv");
  videos(root / "video");
  jsons(root / "json");
  checkpoints(root / "checkpoint");
  return 0;
}
