// Resuming a training run reads config.json, last.pt and the optimizer state
// last.pt points at: a damaged, incomplete or foreign one is a one-line error
// naming the file, never used.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "avr/train/trainer.h"
#include "train_fixture.h"

namespace avr {
namespace {

TrainConfig tiny_audio() { return test::tiny_train_config("audio", 2); }

TrainOptions options(bool resume) {
  TrainOptions o;
  o.quiet = true;
  o.resume = resume;
  o.stop_after_epochs = 1;
  return o;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

class Resume : public ::testing::Test {
 protected:
  // One epoch of a run, kept pristine; each test works on a copy.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    spec_ = new DatasetSpec(test::write_tiny_dataset(*dir_, 2));
    train_model(tiny_audio(), *spec_, dir_->path() / "pristine", options(false));
  }
  static void TearDownTestSuite() {
    delete spec_;
    delete dir_;
  }
  fs::path fresh_copy(const std::string& name) {
    const auto run = dir_->path() / name;
    fs::remove_all(run);
    fs::copy(dir_->path() / "pristine", run, fs::copy_options::recursive);
    return run;
  }
  // The one-line error of resuming `run`.
  std::string resume_error(const fs::path& run) {
    const std::string e = test::error_of([&] { train_model(tiny_audio(), *spec_, run, options(true)); });
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    return e;
  }
  static test::TempDir* dir_;
  static DatasetSpec* spec_;
};
test::TempDir* Resume::dir_ = nullptr;
DatasetSpec* Resume::spec_ = nullptr;

TEST_F(Resume, TheUntouchedRunResumes) {
  const auto run = fresh_copy("ok");
  const auto r = train_model(tiny_audio(), *spec_, run, options(true));
  EXPECT_EQ(r.epochs_done, 2);
  // last.pt says what it came from and which optimizer state goes with it.
  const auto last = load_checkpoint(run / "last.pt");
  EXPECT_TRUE(last.identity.verified);
  EXPECT_EQ(last.identity.origin.train_split, "train");
  EXPECT_EQ(last.identity.origin.train_rows_sha256.size(), 64u);
  EXPECT_EQ(last.identity.origin.settings["loss"]["kind"], "ce");
  EXPECT_EQ(last.metadata["state_sha256"].get<std::string>().size(), 64u);
}

TEST_F(Resume, DamagedOrIncompleteConfigJsonNamesTheFile) {
  const auto run = fresh_copy("config");
  const auto config = run / "config.json";
  const std::string good = read_all(config);
  write_all(config, good.substr(0, good.size() / 2));  // cut short
  std::string e = resume_error(run);
  EXPECT_NE(e.find("config.json\" is damaged"), std::string::npos) << e;
  EXPECT_NE(e.find("delete the run folder to start over"), std::string::npos) << e;

  auto j = nlohmann::json::parse(good);
  j.erase("train");
  write_all(config, j.dump());
  e = resume_error(run);
  EXPECT_NE(e.find("config.json\" lacks 'train' or 'classes'"), std::string::npos) << e;

  write_all(config, "[1, 2]");
  e = resume_error(run);
  EXPECT_NE(e.find("lacks 'train' or 'classes'"), std::string::npos) << e;
}

// best.pt copied over last.pt: the same model and origin, but no resume record.
TEST_F(Resume, LastCheckpointWithoutItsRecordNamesTheKey) {
  const auto run = fresh_copy("record");
  fs::copy_file(run / "best.pt", run / "last.pt", fs::copy_options::overwrite_existing);
  const std::string e = resume_error(run);
  EXPECT_NE(e.find("cannot resume from \"" + (run / "last.pt").string() + "\": its metadata has no valid '"),
            std::string::npos) << e;
}

TEST_F(Resume, DamagedOptimizerStateIsRefused) {
  const auto run = fresh_copy("state");
  const auto state = run / "state-1.pt";
  std::string bytes = read_all(state);
  bytes[bytes.size() / 2] ^= 0x04;  // inside the momentum buffers' data
  write_all(state, bytes);
  const std::string e = resume_error(run);
  EXPECT_NE(e.find("optimizer state \"" + state.string() + "\" is damaged"), std::string::npos) << e;
}

TEST_F(Resume, DamagedLastCheckpointNamesItAndTheRebuild) {
  const auto run = fresh_copy("last");
  const auto last = run / "last.pt";
  // The classifier bias of the tiny audio model: the last tensor bytes before
  // the zip's trailing records are somewhere inside the state_dict's data.
  std::string bytes = read_all(last);
  const auto bias = load_checkpoint(last).model->classifier->bias.detach().contiguous();
  const std::string pattern(static_cast<const char*>(bias.data_ptr()), bias.numel() * sizeof(float));
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] ^= 0x01;
  write_all(last, bytes);
  const std::string e = resume_error(run);
  EXPECT_NE(e.find("checkpoint " + last.string() + " is damaged: tensor 'classifier.bias'"),
            std::string::npos) << e;
  EXPECT_NE(e.find("rebuild it with"), std::string::npos) << e;
}

// last.pt (and its state) from a run on other training rows with the same settings.
TEST_F(Resume, AnotherRunsCheckpointIsRefused) {
  test::TempDir other;
  const auto other_spec = test::write_tiny_dataset(other, 3);
  train_model(tiny_audio(), other_spec, other / "run", options(false));
  const auto run = fresh_copy("foreign");
  for (const char* f : {"last.pt", "state-1.pt"})
    fs::copy_file(other / "run" / f, run / f, fs::copy_options::overwrite_existing);
  const std::string e = resume_error(run);
  EXPECT_NE(e.find("it was trained on other rows or with other settings than this run"),
            std::string::npos) << e;
}

}  // namespace
}  // namespace avr
