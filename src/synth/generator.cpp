#include "avr/synth/generator.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/progress.h"
#include "avr/core/rng.h"
#include "avr/core/timer.h"
#include "avr/layout/dataset_layout.h"
#include "avr/media/wav.h"
#include "avr/synth/clip.h"
#include "avr/synth/manifest.h"
#include "avr/core/sha256.h"

namespace avr {
namespace {

const char* const kSplits[3] = {"train", "val", "test"};
const char* const kOutputs[6] = {"audio",      "frames",     "splits",
                                 "boxes.json", "clips.json", "manifest.json"};

void prepare_output(const std::filesystem::path& out, bool force) {
  if (std::filesystem::exists(out)) {
    AVR_CHECK(std::filesystem::is_directory(out), "--out ", out, " exists and is not a folder");
    if (!std::filesystem::is_empty(out)) {
      AVR_CHECK(force, "--out ", out,
                " is not empty; pass --force to replace the dataset in it, or pick a new folder");
      // Only what a generator writes: a smaller dataset over a larger one must
      // not keep stale clips, and nothing else in the folder is touched.
      for (const char* name : kOutputs) {
        std::error_code ec;
        std::filesystem::remove_all(out / name, ec);
        AVR_CHECK(!ec, "cannot remove ", out / name, ": ", ec.message());
      }
    }
  }
  ensure_dir(out);
}

struct ClipSlot {
  ClipPlan plan;
  SplitRow row;
  nlohmann::json boxes;
  nlohmann::json description;
};

}  // namespace

std::filesystem::path split_file(const std::filesystem::path& root, const std::string& split) {
  return root / "splits" / ("embedded_" + split + ".csv");
}

SynthResult generate_dataset(const SynthRequest& req) {
  Timer timer;
  const SynthProfile& p = req.profile;
  p.validate();
  AVR_CHECK(!req.out.empty(), "--out is required: the folder to write the dataset to");
  AVR_CHECK(req.jobs >= 0, "--jobs must be >= 0 (0: all cores), got ", req.jobs);
  const auto soundfont = req.soundfont.empty() ? default_soundfont_path() : req.soundfont;
  const auto emoji_font = req.emoji_font.empty() ? default_emoji_font_path() : req.emoji_font;
  const auto classes = p.class_list();

  // Assets first: a missing glyph or soundfont fails before anything is written.
  std::vector<uint32_t> codepoints;
  for (const auto& c : classes) codepoints.push_back(find_instrument(c).codepoint);
  const EmojiAtlas atlas(emoji_font, codepoints);
  std::vector<const Sprite*> sprites;
  for (uint32_t cp : codepoints) sprites.push_back(&atlas.sprite(cp));
  prepare_output(req.out, req.force);

  const Rng root(req.seed);
  std::vector<ClipSlot> slots;
  for (const char* split : kSplits)
    for (int64_t i = 0; i < p.clips(split); ++i) {
      ClipSlot s;
      s.plan = plan_clip(p, split, i, root);
      const std::string stem = "/" + classes[s.plan.target] + "/" + s.plan.id;
      s.row = {stem + ".wav", stem + ".mp4", p.frames_per_clip};
      slots.push_back(std::move(s));
    }

  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const int jobs = static_cast<int>(
      std::min<int64_t>(req.jobs > 0 ? req.jobs : hw, static_cast<int64_t>(slots.size())));
  const DatasetLayout layout = DatasetLayout::under(req.out);
  std::optional<Progress> progress;
  if (req.progress) progress.emplace("synth", static_cast<int64_t>(slots.size()), "clips");
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;

  // Any worker may take any clip: a clip's bytes depend on (seed, split, index) only.
  auto work = [&] {
    try {
      SoundRenderer renderer(soundfont, p.sample_rate);
      for (size_t k = next++; k < slots.size() && !failed; k = next++) {
        ClipSlot& s = slots[k];
        const ClipMedia media = render_clip(p, s.plan, root, renderer, sprites);
        write_wav(layout.audio_path(s.row), Audio{media.audio, p.sample_rate, 1});
        for (int f = 0; f < p.frames_per_clip; ++f)
          write_jpeg(layout.frame_path(s.row, f + 1), media.frames[f], p.jpeg_quality);
        s.boxes = nlohmann::json::array();
        for (const Box& b : media.boxes) s.boxes.push_back({b.x0, b.y0, b.x1, b.y1});
        s.description = clip_description(p, s.plan, media);
        if (progress) progress->advance();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  {
    // ~9 files a clip: one fsync each would cost more than making them. One
    // flush at the end instead, before the index files and the manifest.
    BulkWriteScope bulk;
    std::vector<std::thread> threads;
    for (int t = 0; t < jobs; ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
  }
  if (error) std::rethrow_exception(error);
  sync_filesystem(req.out);

  DatasetManifest m = make_manifest(p, req.seed, soundfont, emoji_font);
  for (const char* split : kSplits) {
    std::vector<SplitRow> rows;
    for (const auto& s : slots)
      if (s.plan.split == split) rows.push_back(s.row);
    const auto path = split_file(req.out, split);
    write_split_csv(path, rows);
    m.files[split] = {std::filesystem::relative(path, req.out).string(), sha256_file(path),
                      static_cast<int64_t>(rows.size())};
  }
  nlohmann::json boxes = {{"frame_width", p.frame_size},
                          {"frame_height", p.frame_size},
                          {"format",
                           "[x0, y0, x1, y1] pixels of the stored frame, x1 and y1 "
                           "exclusive; one box per frame in frame order (000001.jpg "
                           "first); the box of the sounding instrument"},
                          {"boxes", nlohmann::json::object()}};
  nlohmann::json clips = nlohmann::json::object();
  for (const auto& s : slots) {
    boxes["boxes"][s.row.frames] = s.boxes;
    clips[s.row.frames] = s.description;
  }
  const std::string boxes_text = boxes.dump() + "\n";
  const std::string clips_text = clips.dump(1) + "\n";
  write_file_atomic(req.out / "boxes.json", boxes_text);
  write_file_atomic(req.out / "clips.json", clips_text);
  m.files["boxes"] = {"boxes.json", sha256_hex(boxes_text), 0};
  m.files["clips"] = {"clips.json", sha256_hex(clips_text), 0};
  write_file_atomic(req.out / "manifest.json", nlohmann::json(m).dump(2) + "\n");
  if (progress) progress->finish();

  SynthResult r;
  r.clips = static_cast<int64_t>(slots.size());
  r.frames = r.clips * p.frames_per_clip;
  r.jobs = jobs;
  r.seconds = timer.seconds();
  return r;
}

}  // namespace avr
