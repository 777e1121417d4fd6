#include <gtest/gtest.h>

#include "test_support.h"

namespace avr {

// `avr import` turns the original's three state_dicts into one avr checkpoint that PyTorch
// (and avr) can read, with the class order and the files' digests recorded.
TEST(Cli, ImportWritesACheckpointWithClassesAndProvenance) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  auto r = test::run_shell("/usr/bin/python3 " AVR_SOURCE_DIR
                           "/tests/support/make_original_checkpoints.py " + d);
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n(`make deps` installs python3-torchvision)";
  const std::string files = " --sound " + d + "/sound_best.pth --frame " + d +
                            "/frame_best.pth --classifier " + d + "/classifier_best.pth";
  r = test::run_avr("import" + files + " --classes a,b,c,d,e --image-size 64 --audio-length 8192 --out " +
                    d + "/m.pt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("5 classes"), std::string::npos) << r.output;
  r = test::run_shell("/usr/bin/python3 -W ignore -c \"import json, sys, torch; d = torch.load(sys.argv[1]); "
                      "m = json.loads(d['metadata']); c = json.loads(d['config']); "
                      "print(m['classes'], c['visual_pool'], len(m['imported_from']['frame']['sha256']))\" " +
                      d + "/m.pt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("['a', 'b', 'c', 'd', 'e'] avg 64"), std::string::npos) << r.output;

  // MUSIC has 11 classes: a 5-class classifier is not a MUSIC model.
  r = test::run_avr("import" + files + " --dataset music --out " + d + "/bad.pt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("has 5 classes but the dataset has 11"), std::string::npos) << r.output;
  r = test::run_avr("import" + files + " --dataset embedded --out " + d + "/bad.pt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--classes"), std::string::npos) << r.output;
}

}  // namespace avr
