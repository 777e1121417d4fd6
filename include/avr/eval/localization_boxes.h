// Ground-truth boxes of the sounding instrument for localization: the boxes
// file `avr synth` writes, and a box carried through the eval transform into
// model-input coordinates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/data/dataset.h"

namespace avr {

// An axis-aligned box in continuous pixel coordinates: the image spans
// [0, width] × [0, height] and pixel (x, y) covers [x, x+1) × [y, y+1), so an
// integer box [x0, x1) covers columns x0..x1-1 (boxes.json's convention, x1/y1
// exclusive). Coordinates stay real after the resize of the eval transform.
struct PixelBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
};
void to_json(nlohmann::json& j, const PixelBox& b);

// DIR/boxes.json as `avr synth` writes it (avr/synth/generator.h): the stored
// frames' size and, per clip ("/class/id.mp4", the split CSV's frames column),
// one box per frame in frame order (000001.jpg first).
struct BoxTable {
  std::filesystem::path file;  // where it was read from, for error messages
  int frame_width = 0, frame_height = 0;
  std::map<std::string, std::vector<PixelBox>> boxes;

  // The box of 1-based frame `index` of `clip`; an avr::Error naming the file
  // and the clip when it has no box for that frame.
  const PixelBox& frame_box(const std::string& clip, int64_t index) const;
};

// Reads and checks a boxes file: a missing, unparsable or malformed file (no
// frame size, a box that is not 4 numbers, x1 < x0) is an avr::Error naming it.
BoxTable read_box_table(const std::filesystem::path& file);
// Where `avr synth` puts the boxes of a dataset: next to its frames folder.
std::filesystem::path default_boxes_path(const AvDataset& dataset);

// A box of the stored W×H frame through the eval transform (avr/data/clip.h:
// resize the shorter side to `image_size` with the same rounding, center crop),
// clipped to the input: coordinates of the [image_size]² model input. Empty
// when the crop cuts the box away entirely.
PixelBox map_box_to_input(const PixelBox& box, int frame_width, int frame_height,
                          int64_t image_size);
// The box of the frame the data layer feeds the model (center_frame_index of
// the row) in model-input coordinates.
PixelBox input_box(const BoxTable& table, const SplitRow& row, int64_t image_size);

}  // namespace avr
