#include "avr/eval/localization_boxes.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/sha256.h"

namespace avr {

void to_json(nlohmann::json& j, const PixelBox& b) { j = {b.x0, b.y0, b.x1, b.y1}; }

const PixelBox& BoxTable::frame_box(const std::string& clip, int64_t index) const {
  auto it = boxes.find(clip);
  AVR_CHECK(it != boxes.end(), file.string(), " has no box for clip ", clip,
            ": the boxes file belongs to another dataset; use the boxes.json written with these "
            "frames by `avr synth` (or give --boxes)");
  AVR_CHECK(index >= 1 && index <= static_cast<int64_t>(it->second.size()), file.string(), " has ",
            it->second.size(), " boxes for clip ", clip, " but the model sees frame ", index,
            " (the center frame): the split's frame count and the boxes disagree");
  return it->second[static_cast<size_t>(index - 1)];
}

BoxTable read_box_table(const std::filesystem::path& file) {
  AVR_CHECK(std::filesystem::is_regular_file(file), "no boxes file ", file.string(),
            ": localization is scored against the ground-truth boxes `avr synth` writes as "
            "DATA_ROOT/boxes.json (give another file with --boxes)");
  const std::string text = read_text_file(file);
  // boxes.json as `avr synth` wrote it: its SHA-256 is in manifest.json next to it.
  const auto manifest = file.parent_path() / "manifest.json";
  if (std::filesystem::is_regular_file(manifest)) {
    const auto m = nlohmann::json::parse(read_text_file(manifest), nullptr, /*allow_exceptions=*/false);
    if (m.is_object() && m.contains("files") && m["files"].is_object() && m["files"].contains("boxes")) {
      const auto& e = m["files"]["boxes"];
      if (e.is_object() && e.contains("path") && e["path"] == file.filename().string() && e.contains("sha256"))
        AVR_CHECK(e["sha256"].is_string() && e["sha256"].get<std::string>() == sha256_hex(text), file.string(),
                  " does not match the SHA-256 that ", manifest.string(),
                  " recorded (damaged or edited); regenerate the dataset with `avr synth`, or restore the file");
    }
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    AVR_FAIL(file.string(), " is not valid JSON (", e.what(), "): regenerate it with `avr synth`");
  }
  BoxTable t;
  t.file = file;
  auto dimension = [&](const char* key) {
    AVR_CHECK(j.is_object() && j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() > 0,
              file.string(), ": \"", key, "\" must be a positive integer (the stored frames' size)");
    return j[key].get<int>();
  };
  t.frame_width = dimension("frame_width");
  t.frame_height = dimension("frame_height");
  AVR_CHECK(j.contains("boxes") && j["boxes"].is_object(), file.string(),
            ": \"boxes\" must be an object {\"/class/id.mp4\": [[x0,y0,x1,y1], ...]}");
  for (const auto& [clip, list] : j["boxes"].items()) {
    AVR_CHECK(list.is_array() && !list.empty(), file.string(), ": the boxes of clip ", clip,
              " must be a non-empty array, one [x0,y0,x1,y1] per frame");
    std::vector<PixelBox> v;
    v.reserve(list.size());
    for (size_t f = 0; f < list.size(); ++f) {
      const auto& b = list[f];
      AVR_CHECK(b.is_array() && b.size() == 4 &&
                    std::all_of(b.begin(), b.end(), [](const auto& x) { return x.is_number(); }),
                file.string(), ": box ", f + 1, " of clip ", clip, " is not [x0, y0, x1, y1]");
      PixelBox p{b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()};
      AVR_CHECK(std::isfinite(p.x0) && std::isfinite(p.y0) && std::isfinite(p.x1) &&
                    std::isfinite(p.y1) && p.x1 >= p.x0 && p.y1 >= p.y0,
                file.string(), ": box ", f + 1, " of clip ", clip,
                " must have x0 <= x1 and y0 <= y1 (x1, y1 exclusive)");
      v.push_back(p);
    }
    t.boxes.emplace(clip, std::move(v));
  }
  return t;
}

std::filesystem::path default_boxes_path(const AvDataset& dataset) {
  return dataset.layout().frames_root.parent_path() / "boxes.json";
}

PixelBox map_box_to_input(const PixelBox& box, int frame_width, int frame_height,
                          int64_t image_size) {
  AVR_CHECK(frame_width > 0 && frame_height > 0 && image_size > 0,
            "map_box_to_input: sizes must be positive");
  // The same arithmetic as the eval transform's resize_shorter + center crop
  // (src/data/clip.cpp): the resize maps pixel edges linearly with scale
  // new/old per axis, whatever the interpolation.
  const double w = frame_width, h = frame_height, s = static_cast<double>(image_size);
  int64_t nw, nh;
  if (frame_height <= frame_width) {
    nh = image_size;
    nw = static_cast<int64_t>(std::llround(w * s / h));
  } else {
    nw = image_size;
    nh = static_cast<int64_t>(std::llround(h * s / w));
  }
  const double sx = nw / w, sy = nh / h;
  const double left = static_cast<double>((nw - image_size) / 2);
  const double top = static_cast<double>((nh - image_size) / 2);
  auto clip = [&](double v) { return std::clamp(v, 0.0, s); };
  PixelBox out{clip(box.x0 * sx - left), clip(box.y0 * sy - top), clip(box.x1 * sx - left),
               clip(box.y1 * sy - top)};
  if (out.empty()) out = PixelBox{};
  return out;
}

PixelBox input_box(const BoxTable& table, const SplitRow& row, int64_t image_size) {
  const PixelBox& b = table.frame_box(row.frames, center_frame_index(row.frame_count));
  return map_box_to_input(b, table.frame_width, table.frame_height, image_size);
}

}  // namespace avr
