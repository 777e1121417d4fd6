// Sound-source localization scoring: the metric definitions on hand-made maps,
// the box's path through the eval transform, boxes.json errors, and the whole
// evaluation (clean, ✗A, ✗V, ✗AV) on a tiny generated dataset.
#include "avr/eval/localization.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/data/clip.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

bool j_has_prior(const LocalizationReport& r) {
  const nlohmann::json j = r;
  return j.at("center_prior").at("pointing_game").is_number();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(LocalizationMetrics, PointingGameCiouAndAucOnHandMadeMaps) {
  const PixelBox box{8, 4, 16, 12};  // columns 8..15, rows 4..11: 64 pixels
  auto mask = box_mask(box, 20, 24);
  EXPECT_EQ(mask.sum().item<int64_t>(), 64);
  EXPECT_TRUE(mask[4][8].item<bool>());
  EXPECT_FALSE(mask[12][8].item<bool>());  // y1 exclusive
  EXPECT_FALSE(mask[4][16].item<bool>());  // x1 exclusive

  auto peak_in = torch::zeros({20, 24});
  peak_in[6][10] = 1;
  EXPECT_TRUE(pointing_hit(peak_in, box));
  auto peak_out = torch::zeros({20, 24});
  peak_out[15][20] = 1;
  EXPECT_FALSE(pointing_hit(peak_out, box));
  EXPECT_DOUBLE_EQ(ciou(peak_in, box), 1.0 / 64);  // one pixel of the region, inside
  EXPECT_DOUBLE_EQ(ciou(peak_out, box), 0.0);

  // A uniform map points nowhere and has no region, whatever its level.
  auto uniform = torch::full({20, 24}, 0.37f);
  EXPECT_FALSE(pointing_hit(uniform, box));
  EXPECT_DOUBLE_EQ(ciou(uniform, box), 0.0);

  // The box itself: cIoU 1; half of the box at ≥ 0.5 plus outside noise below it.
  auto exact = mask.to(torch::kFloat32);
  EXPECT_DOUBLE_EQ(ciou(exact, box), 1.0);
  EXPECT_TRUE(pointing_hit(exact * 3 + 2, box));  // min-max normalization: any scale/offset
  auto half = torch::zeros({20, 24});
  half.slice(0, 4, 12).slice(1, 8, 12).fill_(1.0f);  // 32 pixels inside
  half.slice(0, 0, 2).fill_(0.49f);                   // below τ after normalization
  half.slice(0, 14, 16).slice(1, 0, 8).fill_(0.8f);   // 16 pixels outside above τ
  EXPECT_NEAR(ciou(half, box), 32.0 / (64 + 16), 1e-6);  // float32

  // Batched and single agree, map by map.
  auto maps = torch::stack({peak_in, peak_out, uniform, exact, half});
  std::vector<PixelBox> boxes(5, box);
  auto hits = pointing_hits(maps, boxes), cs = ciou_scores(maps, boxes);
  EXPECT_EQ(hits.sum().item<int64_t>(), 3);  // peak_in, exact, half
  EXPECT_NEAR(cs[4].item<double>(), ciou(half, box), 1e-7);

  // A stride-8 cell (row 1, column 2) looks at pixel (16, 8): upsampled, its peak is that
  // pixel, and on the grid its centre (16.5, 8.5) is scored.
  auto att = torch::full({1, 4, 4}, 0.05f);
  att[0][1][2] = 0.25f;
  auto up = upsample_attention(att, 32, 8);
  ASSERT_EQ(up.sizes(), (std::vector<int64_t>{1, 32, 32}));
  EXPECT_FLOAT_EQ(up[0][8][16].item<float>(), 0.25f);
  EXPECT_FLOAT_EQ(up[0][12][16].item<float>(), 0.15f);  // halfway to the next row's cell
  EXPECT_FLOAT_EQ(up[0][31][31].item<float>(), 0.05f);  // beyond the last centre: clamped
  EXPECT_TRUE(pointing_hit(up[0], PixelBox{16, 8, 17, 9}));
  EXPECT_FALSE(pointing_hit(up[0], PixelBox{17, 9, 24, 16}));  // the block a resize would assume
  EXPECT_TRUE(pointing_hits_on_grid(att, {PixelBox{16, 8, 17, 9}}, 8)[0].item<bool>());
  EXPECT_FALSE(pointing_hits_on_grid(att, {PixelBox{18, 10, 24, 16}}, 8)[0].item<bool>());
  // A uniform map upsamples to a uniform map.
  EXPECT_TRUE(torch::allclose(upsample_attention(torch::ones({1, 6, 6}), 48, 8), torch::ones({1, 48, 48})));

  // A 2×2 map at stride 32 (ResNet18's last map at 48 px): cell (1,1) looks at pixel
  // (32, 32), cell (0,0) at the corner.
  auto coarse = torch::full({1, 2, 2}, 0.1f);
  coarse[0][1][1] = 0.9f;
  const PixelBox around_cell{26, 26, 40, 40};
  EXPECT_TRUE(pointing_hits_on_grid(coarse, {around_cell}, 32)[0].item<bool>());
  EXPECT_TRUE(pointing_hit(upsample_attention(coarse, 48, 32)[0], around_cell));
  EXPECT_FALSE(pointing_hits_on_grid(coarse, {PixelBox{13, 13, 30, 30}}, 32)[0].item<bool>());
  EXPECT_FALSE(pointing_hits_on_grid(torch::ones({1, 2, 2}), {around_cell}, 32)[0].item<bool>());

  // The center prior peaks in the middle and its region is a centered disk.
  auto prior = center_prior_map(32);
  EXPECT_TRUE(pointing_hit(prior, PixelBox{15, 15, 17, 17}));
  EXPECT_FALSE(pointing_hit(prior, PixelBox{0, 0, 15, 32}));
  EXPECT_NEAR(prior[16][16].item<double>(), prior[15][15].item<double>(), 1e-6);  // symmetric

  // AUC over t = 0, 0.05, ..., 1 by trapezoids.
  EXPECT_EQ(ciou_thresholds().size(), 21u);
  EXPECT_NEAR(ciou_auc({1.0}), 1.0, 1e-12);
  EXPECT_NEAR(ciou_auc({0.0}), 0.025, 1e-12);  // success only at t = 0
  EXPECT_NEAR(ciou_auc({0.5}), 0.525, 1e-12);  // 1 up to 0.5, falls to 0 at 0.55
  EXPECT_NEAR(ciou_auc({0.5, 1.0}), (0.525 + 1.0) / 2, 1e-12);  // linear in the clips
  EXPECT_DOUBLE_EQ(success_rates({0.3, 0.7})[10], 0.5);         // t = 0.5
}

TEST(LocalizationMetrics, BestFixedGuessIsThePointInsideTheMostBoxes) {
  // 10×10 input. Boxes A [0,4)², B [2,6)², C [3,8)×[3,8), D [6,10)×[0,2),
  // E empty (out of view, not scored). Pixel centres in A∩B∩C: x, y ∈ {3.5};
  // it is in 3 of the 4 scored boxes and no point is in 4 (D is disjoint from A).
  const std::vector<PixelBox> boxes = {
      {0, 0, 4, 4}, {2, 2, 6, 6}, {3, 3, 8, 8}, {6, 0, 10, 2}, {5, 5, 5, 9}};
  const FixedGuess g = best_fixed_guess(boxes, 10);
  EXPECT_EQ(g.scored, 4);
  EXPECT_EQ(g.hits, 3);
  EXPECT_DOUBLE_EQ(g.x, 3.5);
  EXPECT_DOUBLE_EQ(g.y, 3.5);
  EXPECT_DOUBLE_EQ(g.pointing_game(), 0.75);
  // x1 exclusive: a box [0,3.5) does not hold the centre 3.5; ties go to the
  // first pixel in row-major order, (0.5, 0.5).
  const FixedGuess tie = best_fixed_guess({{0, 0, 3.5, 3.5}, {7, 7, 10, 10}}, 10);
  EXPECT_EQ(tie.hits, 1);
  EXPECT_DOUBLE_EQ(tie.x, 0.5);
  EXPECT_DOUBLE_EQ(tie.y, 0.5);
  // With no scored box it scores 0.
  EXPECT_DOUBLE_EQ(best_fixed_guess({{1, 1, 1, 5}}, 10).pointing_game(), 0.0);
}

TEST(LocalizationBoxes, FollowTheEvalTransformOfANonSquareFrame) {
  // 80x40 frame → shorter side 32: 64x32, center crop drops 16 columns a side.
  const PixelBox b{20, 10, 44, 30};
  const PixelBox m = map_box_to_input(b, 80, 40, 32);
  EXPECT_DOUBLE_EQ(m.x0, 0.0);  // 20·0.8 − 16
  EXPECT_DOUBLE_EQ(m.y0, 8.0);
  EXPECT_NEAR(m.x1, 19.2, 1e-12);
  EXPECT_DOUBLE_EQ(m.y1, 24.0);
  // Tall frame: 30x60 → 32x64, 16 rows cropped at the top; a box in the cut
  // part vanishes, one straddling the border is clipped.
  const PixelBox t = map_box_to_input({0, 0, 15, 30}, 30, 60, 32);
  EXPECT_TRUE(map_box_to_input({0, 0, 30, 7}, 30, 60, 32).empty());
  EXPECT_NEAR(t.x1, 16.0, 1e-12);  // 15·32/30
  EXPECT_DOUBLE_EQ(t.y0, 0.0);     // −16, clipped
  EXPECT_NEAR(t.y1, 16.0, 1e-12);  // 30·64/60 − 16

  // The real transform: a white rectangle at the box's pixels lands on the
  // mapped box's mask.
  auto frame = torch::zeros({3, 40, 80}, torch::kUInt8);
  frame.slice(1, 10, 30).slice(2, 20, 44).fill_(255);
  auto input = eval_transform(frame, 32);
  auto bright = input.mean(0).gt(0.5);
  auto mask = box_mask(m, 32, 32);
  const double inter = bright.logical_and(mask).sum().item<double>();
  const double uni = bright.logical_or(mask).sum().item<double>();
  EXPECT_GT(inter / uni, 0.9) << "bright " << bright.sum().item<int64_t>() << " mask "
                              << mask.sum().item<int64_t>();

  // input_box picks the center frame (frame_count // 2, 1-based) of the row.
  BoxTable table;
  table.file = "boxes.json";
  table.frame_width = 80;
  table.frame_height = 40;
  for (int f = 1; f <= 8; ++f) table.boxes["/cello/a.mp4"].push_back({double(f), 0, double(f) + 40, 40});
  const PixelBox c = input_box(table, SplitRow{"/cello/a.wav", "/cello/a.mp4", 8}, 32);
  EXPECT_DOUBLE_EQ(c.x0, 0.0);                // frame 4: x0 = 4·0.8 − 16 < 0, clipped
  EXPECT_NEAR(c.x1, 44 * 0.8 - 16, 1e-12);    // frame 4: x1 = 44
}

TEST(LocalizationBoxes, BoxesFileErrorsNameTheFileAndClip) {
  test::TempDir dir;
  const auto file = dir / "boxes.json";
  EXPECT_TRUE(contains(error_of([&] { read_box_table(file); }), file.string()));
  write_file_atomic(file, "{\"frame_width\": 40, ");
  auto e = error_of([&] { read_box_table(file); });
  EXPECT_TRUE(contains(e, file.string()) && contains(e, "not valid JSON")) << e;
  write_file_atomic(file, R"({"frame_width": 40, "frame_height": 40, "boxes": {"/a/1.mp4": [[1, 2, 3]]}})");
  e = error_of([&] { read_box_table(file); });
  EXPECT_TRUE(contains(e, "/a/1.mp4") && contains(e, "box 1")) << e;
  write_file_atomic(file, R"({"frame_height": 40, "boxes": {}})");
  EXPECT_TRUE(contains(error_of([&] { read_box_table(file); }), "frame_width"));
  write_file_atomic(file, R"({"frame_width": 40, "frame_height": 40, "boxes": {"/a/1.mp4": [[1, 2, 3, 4], [5, 5, 9, 9]]}})");
  const BoxTable t = read_box_table(file);
  EXPECT_DOUBLE_EQ(t.frame_box("/a/1.mp4", 2).x1, 9.0);
  e = error_of([&] { t.frame_box("/b/2.mp4", 1); });
  EXPECT_TRUE(contains(e, file.string()) && contains(e, "/b/2.mp4")) << e;
  e = error_of([&] { input_box(t, SplitRow{"/a/1.wav", "/a/1.mp4", 8}, 32); });  // needs frame 4
  EXPECT_TRUE(contains(e, "frame 4")) << e;
}

TEST(EvaluateLocalization, EndToEndOnATinyGeneratedDatasetWithAnUntrainedLocalizer) {
  test::TempDir dir;
  const SynthProfile profile = test::generate_small_dataset(dir.path(), /*test_clips=*/6);
  DatasetSpec spec;
  spec.root = dir.path();
  spec = spec.resolved();
  AvDataset ds(spec, "test", dataset_classes(spec));
  const BoxTable boxes = read_box_table(default_boxes_path(ds));

  ModelConfig mc;
  mc.kind = ModelKind::Localizer;
  mc.num_classes = 4;
  mc.image_size = 96;  // 40 px frames upscaled: a 3x3 attention map (1x1 at 32 px says nothing)
  mc.audio_length = profile.audio_length;
  AvModel model(mc);
  ClipSettings clip;
  clip.image_size = mc.image_size;
  clip.audio_length = mc.audio_length;

  LocalizationSettings s;
  s.attack = "pgd";
  s.attack_settings = {{"steps", 3}};
  s.budget.eps_single = s.budget.eps_both = 0.0;
  s.batch_size = 4;  // two batches, the second short
  s.examples = 2;
  const auto r = evaluate_localization(model, ds, boxes, clip, s, false);
  ASSERT_EQ(r.conditions.size(), 4u);
  EXPECT_EQ(r.clips, 6);
  const auto& clean = r.condition("clean");
  for (const auto& c : r.conditions) {
    const auto& sc = c.scores;
    EXPECT_EQ(sc.clips, 6);
    EXPECT_EQ(sc.scored, 6) << "synth boxes are inside the square frames";
    for (double v : {sc.accuracy, sc.pointing_game, sc.mean_ciou}) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
    EXPECT_GE(sc.auc, 0.025 - 1e-12);
    EXPECT_LE(sc.auc, 1.0);
    ASSERT_EQ(sc.success_rate.size(), 21u);
    EXPECT_DOUBLE_EQ(sc.success_rate[0], 1.0);
    for (size_t k = 1; k < 21; ++k) EXPECT_LE(sc.success_rate[k], sc.success_rate[k - 1]);
    // eps 0: every condition sees the clean inputs and gives the same numbers.
    EXPECT_EQ(sc.ciou, clean.scores.ciou) << c.name;
    EXPECT_EQ(sc.hit, clean.scores.hit) << c.name;
    EXPECT_EQ(sc.prediction, clean.scores.prediction) << c.name;
    EXPECT_EQ(sc.accuracy, clean.scores.accuracy) << c.name;
    EXPECT_EQ(c.max_linf_frames, 0.0);
    EXPECT_EQ(c.threat.has_value(), c.name != "clean");
  }
  // A peaked map's region is never empty; over 6 clips some overlaps its box.
  EXPECT_GT(clean.scores.mean_ciou, 0.0);
  // The center prior is scored on the same clips; it does not classify.
  EXPECT_EQ(r.center_prior.scored, 6);
  EXPECT_TRUE(std::isnan(r.center_prior.accuracy));
  EXPECT_GT(r.center_prior.auc, 0.025);
  EXPECT_TRUE(j_has_prior(r));
  ASSERT_EQ(r.examples.size(), 2u);
  for (const auto& e : r.examples) {
    ASSERT_EQ(e.views.size(), 4u);
    EXPECT_EQ(e.views[0].frame.width, clip.image_size);
    // The localizer's 12×12 map (stride 8 at 96 px), shown at the input's resolution.
    EXPECT_EQ(e.views[0].attention.width, clip.image_size);
    EXPECT_EQ(e.views[0].attention.height, clip.image_size);
    EXPECT_FALSE(e.box.empty());
  }
  const nlohmann::json j = r;
  EXPECT_EQ(j.at("conditions").size(), 4u);
  EXPECT_EQ(j.at("conditions")[2].at("name"), "✗V");

  // A real budget: the attack stays in it and the figure has a panel per
  // example and condition.
  s.attack = "fgsm";
  s.attack_settings = nlohmann::json::object();
  s.budget.eps_single = 0.03;
  s.budget.eps_both = 0.02;
  s.limit = 4;
  const auto a = evaluate_localization(model, ds, boxes, clip, s, false);
  EXPECT_EQ(a.clips, 4);
  EXPECT_LE(a.condition("✗V").max_linf_frames, 0.03 + 1e-6);
  EXPECT_GT(a.condition("✗V").max_linf_frames, 0.0);
  EXPECT_EQ(a.condition("✗A").max_linf_frames, 0.0);
  EXPECT_LE(a.condition("✗AV").max_linf_audio, 0.02 + 1e-6);
  EXPECT_EQ(a.condition("clean").scores.ciou, std::vector<double>(clean.scores.ciou.begin(),
                                                                  clean.scores.ciou.begin() + 4));
  LocalizationFigureSettings fig;
  fig.display_size = 64;
  const auto panels = render_localization_panels(a, fig);
  ASSERT_EQ(panels.size(), 8u);
  EXPECT_EQ(panels[5].condition, "✗A");
  EXPECT_EQ(panels[5].image.width, 64);
  const Image m = localization_montage(a, fig);
  EXPECT_EQ(m.width, 4 * 64 + 3 * 4);
  EXPECT_EQ(m.height, 2 * 64 + 4);

  // A clip without a box fails before anything runs, naming it.
  BoxTable partial = boxes;
  partial.boxes.erase(ds.row(1).frames);
  const auto e = error_of([&] { evaluate_localization(model, ds, partial, clip, s, false); });
  EXPECT_TRUE(contains(e, ds.row(1).frames)) << e;
}

}  // namespace avr
