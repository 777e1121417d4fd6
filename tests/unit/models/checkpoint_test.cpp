#include "avr/models/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <functional>
#include <tuple>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/invocation.h"
#include "test_support.h"

namespace avr {
namespace {

ModelConfig config(const std::string& kind, const std::string& fusion) {
  ModelConfig c;
  c.kind = parse_model_kind(kind);
  c.fusion = parse_fusion(fusion);
  c.num_classes = 4;
  c.image_size = 32;
  c.audio_length = 4096;
  c.seed = 5;
  return c;
}

using test::error_of;

struct Inputs {
  torch::Tensor audio = torch::rand({2, 4096}) * 2 - 1;
  torch::Tensor frames = torch::rand({2, 3, 32, 32});
};

// A model whose weights and BN statistics differ from a fresh one of the same config.
AvModel trained_like(const ModelConfig& c, const Inputs& x) {
  AvModel m(c);
  m->train();
  torch::NoGradGuard no_grad;
  m->forward(x.audio, x.frames);  // moves BN running statistics
  for (auto& p : m->parameters()) p.add_(0.01);
  m->eval();
  return m;
}

TEST(Checkpoint, SaveLoadGivesIdenticalOutputsAndMetadata) {
  test::TempDir dir;
  Inputs x;
  // One model with a fusion's own parameters and every branch, one small unimodal.
  for (auto [kind, fusion] : {std::pair<std::string, std::string>{"av", "gated_concat"},
                              {"audio", ""}}) {
    SCOPED_TRACE(kind + "/" + fusion);
    auto c = config(kind, fusion);
    auto m = trained_like(c, x);
    const auto path = dir / (kind + fusion + ".avrm");
    save_checkpoint(path, m, {{"epoch", 3}, {"val_acc", 0.5}});
    EXPECT_EQ(read_checkpoint_config(path).mismatch(c), "");

    auto loaded = load_checkpoint(path);
    loaded.model->eval();
    EXPECT_EQ(loaded.metadata["epoch"], 3);
    EXPECT_EQ(nlohmann::json(loaded.model->config()), nlohmann::json(c));
    torch::NoGradGuard no_grad;
    const auto expected = m->forward(x.audio, x.frames);
    EXPECT_TRUE(torch::equal(loaded.model->forward(x.audio, x.frames), expected));

    // Into a fresh model of the same config (another seed: different initial weights).
    c.seed = 99;
    AvModel fresh(c);
    fresh->eval();
    EXPECT_FALSE(torch::equal(fresh->forward(x.audio, x.frames), expected));
    EXPECT_EQ(load_checkpoint_into(path, fresh)["val_acc"], 0.5);
    EXPECT_TRUE(torch::equal(fresh->forward(x.audio, x.frames), expected));
  }
}

TEST(Checkpoint, MismatchedConfigFailsNamingFileAndField) {
  test::TempDir dir;
  const auto path = dir / "concat.avrm";
  save_checkpoint(path, AvModel(config("av", "concat")));
  const std::string msg = error_of([&] { load_checkpoint_into(path, AvModel(config("av", "sum"))); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("fusion sum vs concat"), std::string::npos) << msg;
  auto c = config("av", "concat");
  c.num_classes = 7;
  EXPECT_NE(error_of([&] { load_checkpoint_into(path, AvModel(c)); }).find("num_classes 7 vs 4"),
            std::string::npos);
}

TEST(Checkpoint, TensorShapeMismatchIsNamed) {
  // A file whose config says 4 classes but whose classifier holds 3 rows.
  test::TempDir dir;
  auto c = config("audio", "");
  AvModel m(c);
  c10::Dict<std::string, torch::Tensor> state;
  for (const auto& item : m->named_parameters()) state.insert(item.key(), item.value().detach());
  for (const auto& item : m->named_buffers()) state.insert(item.key(), item.value().detach());
  state.insert_or_assign("classifier.weight", torch::zeros({3, 512}));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string("avr-checkpoint"));
  root.insert("version", int64_t{1});
  root.insert("config", nlohmann::json(c).dump());
  root.insert("metadata", std::string("{}"));
  root.insert("state_dict", state);
  const auto bytes = torch::pickle_save(root);
  const auto path = dir / "bad_shape.avrm";
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("tensor 'classifier.weight' has shape [3, 512] but the model expects [4, 512]"),
            std::string::npos) << msg;
}

TEST(Checkpoint, MissingOrCorruptFilesGiveClearErrors) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { load_checkpoint(dir / "nope.avrm"); }).find("checkpoint not found"),
            std::string::npos);
  const auto path = dir / "model.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  // Cut the file in half, as an interrupted copy would.
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("is damaged or not an avr checkpoint"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  std::ofstream(dir / "text.avrm") << "hello";
  msg = error_of([&] { load_checkpoint(dir / "text.avrm"); });
  EXPECT_NE(msg.find("is damaged or not an avr checkpoint"), std::string::npos) << msg;
  // A valid pickle that is not ours.
  const auto other = torch::pickle_save(c10::IValue(torch::ones({2})));
  std::ofstream(dir / "tensor.pt", std::ios::binary).write(other.data(), other.size());
  msg = error_of([&] { load_checkpoint(dir / "tensor.pt"); });
  EXPECT_NE(msg.find("is not an avr checkpoint"), std::string::npos) << msg;
}

// Rewrites the archive/data.pkl of the zip at `path` with Python's zipfile (new CRCs):
// `edit` is a Python expression of `p`, the pickle's bytes.
void edit_pickle(const std::filesystem::path& path, const std::string& edit) {
  const auto script = path.parent_path() / "edit_pickle.py";
  std::ofstream(script) << "import sys, zipfile\n"
                           "z = zipfile.ZipFile(sys.argv[1])\n"
                           "items = [(i.filename, z.read(i.filename)) for i in z.infolist()]\n"
                           "z.close()\n"
                           "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as out:\n"
                           "    for name, p in items:\n"
                           "        out.writestr(name, ("
                        << edit << ") if name.endswith('/data.pkl') else p)\n";
  const auto r = test::run_shell("/usr/bin/python3 " + script.string() + " " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// fuzz/checkpoint_fuzz.cpp: a checkpoint whose pickle declares a 1.6 GB string in
// 700 bytes made LibTorch's unpickler allocate 2.1 GB (6 s) before failing.
TEST(Checkpoint, PickleStringLongerThanTheFileIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  edit_pickle(path, "p.replace(b'X\\x06\\x00\\x00\\x00format', b'X\\x0e\\x00\\x00\\x61format', 1)");
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("declares 1627389966 bytes"), std::string::npos) << msg;
}

// fuzz/checkpoint_fuzz.cpp (2026-12-01): a zip64 record that puts the central directory at
// offset 2^64 − 1 with a size of 123 passes miniz's "offset + size ≤ file size" check (the sum
// wraps), and torch::pickle_load's reader then copied 123 bytes from one byte before its
// buffer (ASan: heap-buffer-overflow; without a sanitizer the garbage failed later, with
// another message). The loader reads through LibTorch's istream reader, which refuses a read
// past the stream; since 2026-12-02 the zip directory check (zip_records.h, libzip) refuses
// the file before LibTorch opens it.
TEST(Checkpoint, Zip64DirectoryOffsetThatWrapsIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "wrap.ckpt";
  std::string bytes(100, 'x');
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  // zip64 end of central directory record at offset 100: 1 entry, directory of 123 bytes
  // at offset 2^64 − 1.
  put(0x06064b50, 4), put(44, 8), put(45, 2), put(45, 2), put(0, 4), put(0, 4);
  put(1, 8), put(1, 8), put(123, 8), put(~uint64_t{0}, 8);
  // zip64 locator: the record is at offset 100, one disk.
  put(0x07064b50, 4), put(0, 4), put(100, 8), put(1, 4);
  // end of central directory: every field deferred to the zip64 record.
  put(0x06054b50, 4), put(0, 2), put(0, 2), put(0xffff, 2), put(0xffff, 2);
  put(0xffffffff, 4), put(0xffffffff, 4), put(0, 2);
  ASSERT_EQ(bytes.size(), 198u);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const std::string msg = error_of([&] { read_checkpoint_config(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("is damaged or not an avr checkpoint"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a zip archive, or its directory is damaged"), std::string::npos) << msg;
}

// fuzz/checkpoint_fuzz.cpp (2026-12-02): a 2,535-byte checkpoint whose zip directory says its
// 'version' record holds 4,294,967,293 bytes. LibTorch's reader allocated that much before
// miniz found the bytes missing (11–19 s a file under ASan). The directory is checked
// first (zip_records.h): the error names the record, and LibTorch never sees the file.
TEST(Checkpoint, ZipRecordLargerThanTheFileIsAnErrorNamingTheRecord) {
  test::TempDir dir;
  const auto path = dir / "big_record.ckpt";
  save_checkpoint(path, AvModel(config("audio", "")));
  std::string bytes = read_text_file(path);
  // The central directory entry of .../version: its size at +24 (the compressed size at +20
  // and the local header keep saying 2 bytes).
  size_t at = std::string::npos;
  for (size_t i = bytes.find("PK\x01\x02"); i != std::string::npos; i = bytes.find("PK\x01\x02", i + 4)) {
    const size_t name_len = static_cast<uint8_t>(bytes[i + 28]) | static_cast<uint8_t>(bytes[i + 29]) << 8;
    const std::string name = bytes.substr(i + 46, name_len);
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "/version") == 0) at = i;
  }
  ASSERT_NE(at, std::string::npos) << "no version record in the checkpoint's zip directory";
  for (int b = 0; b < 4; ++b) bytes[at + 24 + b] = static_cast<char>(b == 0 ? 0xfd : 0xff);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  for (const auto& read : std::vector<std::function<void()>>{[&] { read_checkpoint_config(path); },
                                                             [&] { load_checkpoint(path); }}) {
    const std::string msg = error_of(read);
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("is damaged or not an avr checkpoint"), std::string::npos) << msg;
    EXPECT_NE(msg.find("version' claims 4294967293 bytes"), std::string::npos) << msg;
  }
}

// fuzz/checkpoint_fuzz.cpp (2026-12-01): TUPLE3 on a stack of one item made LibTorch's
// unpickler pop past its stack's start and free memory it never allocated (ASan; a
// crash or worse without it). The scan before it counts the stack.
TEST(Checkpoint, PickleThatPopsAnEmptyStackIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  edit_pickle(path, "p.replace(b'\\x80\\x02', b'\\x80\\x02N\\x87', 1)");
  const std::string msg = error_of([&] { read_checkpoint_config(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("opcode 0x87 at byte 3 takes 3 items from a stack holding 1"), std::string::npos) << msg;
}

// A pop to a MARK that was never pushed (LibTorch indexes its stack with the last mark).
TEST(Checkpoint, PickleThatPopsToAMissingMarkIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  edit_pickle(path, "p.replace(b'\\x80\\x02', b'\\x80\\x02Nt', 1)");
  const std::string msg = error_of([&] { read_checkpoint_config(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("pops to a MARK that was never pushed"), std::string::npos) << msg;
}

// fuzz/checkpoint_fuzz.cpp (2026-12-01): a tensor whose shape reaches past its storage
// (LibTorch's unpickler does not check) made tensor_sha256 read beyond the buffer.
TEST(Checkpoint, TensorReachingPastItsStorageIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  c10::Dict<std::string, torch::Tensor> state;
  state.insert("w", torch::arange(4, torch::kFloat32));
  save_checkpoint_state(path, config("audio", ""), state);
  EXPECT_NO_THROW(verify_checkpoint(path));
  // size (4,), stride (1,) -> size (5,)
  edit_pickle(path, "p.replace(b'(K\\x04t(K\\x01t', b'(K\\x05t(K\\x01t', 1)");
  const std::string msg = error_of([&] { verify_checkpoint(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor 'w' (shape [5], strides [1], offset 0) reaches past its storage of 16 bytes"),
            std::string::npos) << msg;
}

// fuzz/checkpoint_fuzz.cpp: a type tag LibTorch cannot parse threw
// torch::jit::ErrorReport, which is no c10::Error, out of load_checkpoint.
TEST(Checkpoint, TypeTagLibTorchCannotParseIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  edit_pickle(path, "p.replace(b'Dict[str, Tensor]', b'Dict[str, Tenso[]', 1)");
  const std::string msg = error_of([&] { read_checkpoint_config(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("is damaged or not an avr checkpoint"), std::string::npos) << msg;
}

// fuzz/checkpoint_fuzz.cpp: LONG_BINPUT with index 0x65726564 made LibTorch's
// unpickler size its memo table for it (27 GB).
TEST(Checkpoint, MemoIndexBeyondThePickleIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, AvModel(config("audio", "")));
  edit_pickle(path, "p.replace(b'formatq\\x01', b'formatr\\x64\\x65\\x72\\x65', 1)");
  const std::string msg = error_of([&] { read_checkpoint_config(path); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("stores memo entry 1701995876"), std::string::npos) << msg;
}

// A pickle of the right shape whose config is not a string: toStringRef would
// have thrown a c10::Error (an internal assert) past the loader.
TEST(Checkpoint, ConfigThatIsNotAStringIsAnErrorNamingTheFile) {
  test::TempDir dir;
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string("avr-checkpoint"));
  root.insert("version", int64_t{1});
  root.insert("config", int64_t{7});
  root.insert("metadata", std::string("{}"));
  const auto bytes = torch::pickle_save(root);
  std::ofstream(dir / "int.avrm", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const std::string msg = error_of([&] { read_checkpoint_config(dir / "int.avrm"); });
  EXPECT_NE(msg.find("int.avrm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'config' is not a string"), std::string::npos) << msg;
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An audio model whose classifier bias is four times 1234.5: bytes easy to find in the file.
AvModel marked_model() {
  AvModel m(config("audio", ""));
  torch::NoGradGuard no_grad;
  m->classifier->bias.fill_(1234.5f);
  return m;
}

size_t find_bias_bytes(const std::string& file) {
  const float v = 1234.5f;
  std::string pattern;
  for (int i = 0; i < 4; ++i) pattern.append(reinterpret_cast<const char*>(&v), sizeof v);
  return file.find(pattern);
}

// The case: a file of the right size and shape with one byte flipped
// inside a tensor's data. LibTorch's zip reader does not check the CRCs, so
// without the stored digest the damaged weights would be used.
TEST(Checkpoint, FlippedByteInsideATensorIsAnErrorNamingFileTensorAndRebuildCommand) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  char arg0[] = "avr", arg1[] = "train", arg2[] = "--out", arg3[] = "runs/x";
  char* argv[] = {arg0, arg1, arg2, arg3, nullptr};
  record_invocation(4, argv);
  save_checkpoint(path, marked_model());
  record_invocation(0, nullptr);
  std::string bytes = read_all(path);
  const size_t at = find_bias_bytes(bytes);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] ^= 0x10;  // the second float's mantissa
  write_all(path, bytes);
  // LibTorch alone reads it without complaint, and the value differs.
  const auto raw = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  const auto bias = raw.toGenericDict().at("state_dict").toGenericDict().at("classifier.bias").toTensor();
  EXPECT_NE(bias[1].item<float>(), 1234.5f);

  for (auto load : std::vector<std::function<void()>>{
           [&] { load_checkpoint(path); },
           [&] { load_checkpoint_into(path, AvModel(config("audio", ""))); },
           [&] { verify_checkpoint(path); }}) {
    const std::string msg = error_of(load);
    EXPECT_NE(msg.find("checkpoint " + path.string() + " is damaged: tensor "
                       "'classifier.bias' does not match the SHA-256 stored when it was written"),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("rebuild it with `cd "), std::string::npos) << msg;
    EXPECT_NE(msg.find(" && avr train --out runs/x`"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // The config alone is still readable: the tensors are not its part.
  EXPECT_EQ(read_checkpoint_config(path).kind, ModelKind::Audio);
}

// A flipped byte in the JSON parts can still parse (a seed 5 that reads 7):
// they carry digests too.
TEST(Checkpoint, ChangedConfigOrMetadataTextIsAnErrorNamingThePart) {
  test::TempDir dir;
  const auto path = dir / "m.avrm";
  save_checkpoint(path, marked_model(), {{"epoch", 3}});
  const std::string good = read_all(path);
  for (auto [from, to, part] : {std::tuple<std::string, std::string, std::string>{
                                    "\"seed\":5", "\"seed\":7", "its config"},
                                {"\"epoch\":3", "\"epoch\":9", "its metadata"}}) {
    std::string bytes = good;
    const size_t at = bytes.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    bytes.replace(at, from.size(), to);
    write_all(path, bytes);
    const std::string msg = error_of([&] { load_checkpoint(path); });
    EXPECT_NE(msg.find("is damaged: " + part + " does not match the SHA-256"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  }
}

TEST(Checkpoint, IdentityRecordsOriginWeightsAndCommand) {
  test::TempDir dir;
  auto m = marked_model();
  CheckpointOrigin origin;
  origin.train_split = "train";
  origin.train_rows_sha256 = std::string(64, 'a');
  origin.settings = {{"loss", "ce"}};
  origin.parents = {{{"role", "init_audio"}, {"file", "a.pt"}, {"sha256", std::string(64, 'b')}}};
  save_checkpoint(dir / "a.avrm", m, {}, origin);
  save_checkpoint(dir / "b.avrm", m, {{"other", "metadata"}});
  const auto a = load_checkpoint(dir / "a.avrm").identity;
  EXPECT_TRUE(a.verified);
  EXPECT_EQ(a.config.mismatch(m->config()), "");
  EXPECT_EQ(a.origin.train_split, "train");
  EXPECT_EQ(a.origin.train_rows_sha256, origin.train_rows_sha256);
  EXPECT_EQ(a.origin.settings, origin.settings);
  EXPECT_EQ(a.origin.parents, origin.parents);
  EXPECT_EQ(a.made_by, "");  // no command recorded in a test
  EXPECT_EQ(a.weights_sha256.size(), 64u);
  // The weights digest names the weights, whatever the metadata or origin.
  EXPECT_EQ(verify_checkpoint(dir / "b.avrm").weights_sha256, a.weights_sha256);
  {
    torch::NoGradGuard no_grad;
    m->classifier->bias[0].add_(1e-3);
  }
  save_checkpoint(dir / "c.avrm", m);
  EXPECT_NE(verify_checkpoint(dir / "c.avrm").weights_sha256, a.weights_sha256);
}

TEST(Checkpoint, TensorDigestCoversDtypeShapeAndBytes) {
  const auto t = torch::arange(6, torch::kFloat32);
  EXPECT_EQ(tensor_sha256(t), tensor_sha256(t.clone()));
  EXPECT_NE(tensor_sha256(t), tensor_sha256(t.view({2, 3})));
  EXPECT_NE(tensor_sha256(t), tensor_sha256(t.view(torch::kInt32)));  // same bytes, another dtype
  auto u = t.clone();
  u[5] = 5.0001f;
  EXPECT_NE(tensor_sha256(t), tensor_sha256(u));
  // A non-contiguous view hashes as its contiguous copy.
  const auto m = torch::arange(6, torch::kFloat32).view({2, 3}).t();
  EXPECT_EQ(tensor_sha256(m), tensor_sha256(m.contiguous()));
}

// Compatibility: a format-1 file (no digests, no identity) still loads, says
// on stderr that it cannot be checked, and reports itself unverified.
TEST(Checkpoint, FormatOneLoadsUnverifiedWithAWarning) {
  test::TempDir dir;
  const auto c = config("audio", "");
  AvModel m(c);
  c10::Dict<std::string, torch::Tensor> state;
  for (const auto& item : m->named_parameters()) state.insert(item.key(), item.value().detach());
  for (const auto& item : m->named_buffers()) state.insert(item.key(), item.value().detach());
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string("avr-checkpoint"));
  root.insert("version", int64_t{1});
  root.insert("config", nlohmann::json(c).dump());
  root.insert("metadata", std::string("{\"epoch\": 2}"));
  root.insert("state_dict", state);
  const auto bytes = torch::pickle_save(root);
  write_all(dir / "v1.avrm", std::string(bytes.begin(), bytes.end()));
  testing::internal::CaptureStderr();
  const auto loaded = load_checkpoint(dir / "v1.avrm");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(loaded.identity.verified);
  EXPECT_EQ(loaded.metadata["epoch"], 2);
  EXPECT_NE(err.find("v1.avrm\" has format 1"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot be checked"), std::string::npos) << err;
  // A version this avr does not know is refused.
  root.insert_or_assign("version", int64_t{3});
  const auto v3 = torch::pickle_save(root);
  write_all(dir / "v3.avrm", std::string(v3.begin(), v3.end()));
  const std::string msg = error_of([&] { load_checkpoint(dir / "v3.avrm"); });
  EXPECT_NE(msg.find("has format version 3; this avr reads versions 1 to 2"), std::string::npos) << msg;
}

TEST(Checkpoint, AnotherModelsCheckpointNamesTheRebuildCommand) {
  test::TempDir dir;
  const auto path = dir / "concat.avrm";
  char arg0[] = "avr", arg1[] = "import", arg2[] = "--out", arg3[] = "my file.pt";
  char* argv[] = {arg0, arg1, arg2, arg3, nullptr};
  record_invocation(4, argv);
  save_checkpoint(path, AvModel(config("av", "concat")));
  record_invocation(0, nullptr);
  const std::string msg = error_of([&] { load_checkpoint_into(path, AvModel(config("av", "sum"))); });
  EXPECT_NE(msg.find("was saved for a different model"), std::string::npos) << msg;
  EXPECT_NE(msg.find("avr import --out 'my file.pt'`"), std::string::npos) << msg;
}

TEST(Checkpoint, SavingLeavesNoTemporaryFiles) {
  test::TempDir dir;
  save_checkpoint(dir / "m.avrm", AvModel(config("audio", "")));
  save_checkpoint(dir / "m.avrm", AvModel(config("audio", "")));  // overwrite in place
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++n;
  }
  EXPECT_EQ(n, 1);
}

TEST(Checkpoint, PytorchCanReadIt) {
  ASSERT_EQ(test::run_shell("/usr/bin/python3 -c 'import torch' 2>/dev/null").exit_code, 0)
      << "needs python3-torch to check the file from the PyTorch side: `make deps` installs it";
  test::TempDir dir;
  auto c = config("audio", "");
  AvModel m(c);
  save_checkpoint(dir / "m.avrm", m, {{"note", "hi"}});
  const auto r = test::run_shell(
      "/usr/bin/python3 -W ignore -c \"import json, sys, torch; d = torch.load(sys.argv[1]); "
      "print(d['format'], d['version'], json.loads(d['config'])['kind'], "
      "json.loads(d['metadata'])['note'], tuple(d['state_dict']['classifier.weight'].shape), "
      "float(d['state_dict']['classifier.bias'][0]))\" " + (dir / "m.avrm").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("avr-checkpoint 2 audio hi (4, 512) ", 0), 0u) << r.output;
  const double bias0 = std::stod(r.output.substr(r.output.rfind(' ') + 1));
  EXPECT_DOUBLE_EQ(bias0, m->classifier->bias[0].item<float>()) << r.output;
}

}  // namespace
}  // namespace avr
