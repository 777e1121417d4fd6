#include "avr/models/pytorch_state_dict.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <map>
#include <memory>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "zip_records.h"

namespace avr {
namespace {

// The pickle values a state_dict is made of. The unpickler owns them all (an
// arena); the stack, the memo and containers refer to them by pointer, so a
// pickle that puts a dict inside itself (BINGET of the dict, then SETITEM) is a
// cycle of pointers, not of shared_ptrs that would never be freed, and a deeply
// nested one is not destroyed by recursion.
struct Value;
using Ref = Value*;
struct Value {
  enum Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor, Mark };
  Kind kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s, s2;                      // String; Global module/name
  std::vector<Ref> items;                 // Tuple, List
  std::vector<std::pair<Ref, Ref>> dict;  // Dict, in insertion order
  torch::Tensor tensor;                   // Storage (flat), Tensor
};

torch::ScalarType storage_dtype(const std::string& name) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"FloatStorage", torch::kFloat32}, {"DoubleStorage", torch::kFloat64},
      {"HalfStorage", torch::kFloat16},  {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kInt64},    {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16},   {"CharStorage", torch::kInt8},
      {"ByteStorage", torch::kUInt8},    {"BoolStorage", torch::kBool}};
  auto it = types.find(name);
  AVR_CHECK(it != types.end(), "unsupported tensor storage type torch.", name);
  return it->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(caffe2::serialize::PyTorchStreamReader& zip, const char* data, size_t size)
      : zip_(zip), p_(data), end_(data + size) {}

  Ref run() {
    while (true) {
      const uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                            // PROTO
        case 0x95: take(8); break;                         // FRAME
        case '.': AVR_CHECK(stack_.size() == 1, "pickle stack has ", stack_.size(), " items at STOP");
          return pop();
        case '}': push(make(Value::Dict)); break;          // EMPTY_DICT
        case ']': push(make(Value::List)); break;          // EMPTY_LIST
        case ')': push(make(Value::Tuple)); break;         // EMPTY_TUPLE
        case '(': push(make(Value::Mark)); break;          // MARK
        case 'N': push(make(Value::None)); break;
        case 0x88: case 0x89: { auto v = make(Value::Bool); v->i = op == 0x88; push(v); break; }
        case 'K': push_int(u8()); break;                   // BININT1
        case 'M': push_int(le(2)); break;                  // BININT2
        case 'J': push_int(static_cast<int32_t>(le(4))); break;  // BININT
        case 0x8a: {                                       // LONG1
          const int n = u8();
          AVR_CHECK(n <= 8, "pickle integer of ", n, " bytes is too large");
          uint64_t x = n ? le(n) : 0;
          if (n && n < 8 && (x >> (8 * n - 1)) & 1) x |= ~uint64_t{0} << (8 * n);  // sign-extend
          push_int(static_cast<int64_t>(x));
          break;
        }
        case 'G': {                                        // BINFLOAT (big-endian)
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | u8();
          auto v = make(Value::Float);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 'X': push_string(le(4)); break;               // BINUNICODE
        case 0x8c: case 'U': push_string(u8()); break;     // SHORT_BINUNICODE, SHORT_BINSTRING
        case 'T': push_string(le(4)); break;               // BINSTRING
        case 'q': memo_[u8()] = top(); break;              // BINPUT
        case 'r': memo_[le(4)] = top(); break;             // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;     // MEMOIZE
        case 'h': push(memo(u8())); break;                 // BINGET
        case 'j': push(memo(le(4))); break;                // LONG_BINGET
        case 'c': {                                        // GLOBAL
          auto v = make(Value::Global);
          v->s = line();
          v->s2 = line();
          push(v);
          break;
        }
        case 't': { auto v = make(Value::Tuple); v->items = pop_to_mark(); push(v); break; }
        case 0x85: case 0x86: case 0x87: {                 // TUPLE1..3
          auto v = make(Value::Tuple);
          v->items.resize(op - 0x84);
          for (size_t k = v->items.size(); k-- > 0;) v->items[k] = pop();
          push(v);
          break;
        }
        case 'a': { auto x = pop(); expect(top(), Value::List, "APPEND")->items.push_back(x); break; }
        case 'e': { auto xs = pop_to_mark(); auto l = expect(top(), Value::List, "APPENDS");
          l->items.insert(l->items.end(), xs.begin(), xs.end()); break; }
        case 's': { auto v = pop(); auto k = pop();
          expect(top(), Value::Dict, "SETITEM")->dict.emplace_back(k, v); break; }
        case 'u': {                                        // SETITEMS
          auto xs = pop_to_mark();
          auto d = expect(top(), Value::Dict, "SETITEMS");
          AVR_CHECK(xs.size() % 2 == 0, "odd number of items in a pickled dict");
          for (size_t k = 0; k < xs.size(); k += 2) d->dict.emplace_back(xs[k], xs[k + 1]);
          break;
        }
        case 'b': {                                        // BUILD: only OrderedDict's _metadata
          pop();
          expect(top(), Value::Dict, "BUILD");
          break;
        }
        case 'Q': push(persistent_load(pop())); break;     // BINPERSID
        case 'R': { auto args = pop(); auto fn = pop(); push(reduce(fn, args)); break; }
        default:
          AVR_FAIL("unsupported pickle opcode 0x", std::hex, int(op),
                   " (only state_dicts of tensors can be read)");
      }
    }
  }

 private:
  uint8_t u8() {
    AVR_CHECK(p_ < end_, "the pickle ends early");
    return static_cast<uint8_t>(*p_++);
  }
  const char* take(size_t n) {
    AVR_CHECK(static_cast<size_t>(end_ - p_) >= n, "the pickle ends early");
    const char* at = p_;
    p_ += n;
    return at;
  }
  uint64_t le(int n) {
    uint64_t x = 0;
    for (int k = 0; k < n; ++k) x |= uint64_t{u8()} << (8 * k);
    return x;
  }
  std::string line() {
    std::string s;
    for (char c; (c = static_cast<char>(u8())) != '\n';) s += c;
    return s;
  }
  Ref make(Value::Kind k) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->kind = k;
    return arena_.back().get();
  }
  void push(Ref v) { stack_.push_back(v); }
  void push_int(int64_t x) { auto v = make(Value::Int); v->i = x; push(v); }
  void push_string(size_t n) { auto v = make(Value::String); v->s.assign(take(n), n); push(v); }
  Ref top() {
    AVR_CHECK(!stack_.empty(), "pickle stack underflow");
    return stack_.back();
  }
  Ref pop() { auto v = top(); stack_.pop_back(); return v; }
  Ref memo(uint64_t k) {
    auto it = memo_.find(k);
    AVR_CHECK(it != memo_.end(), "pickle refers to memo entry ", k, " that was never stored");
    return it->second;
  }
  std::vector<Ref> pop_to_mark() {
    std::vector<Ref> xs;
    while (top()->kind != Value::Mark) xs.insert(xs.begin(), pop());
    pop();
    return xs;
  }
  static Ref expect(Ref v, Value::Kind k, const char* op) {
    AVR_CHECK(v->kind == k, "pickle ", op, " applied to an unexpected object");
    return v;
  }
  static int64_t as_int(const Ref& v, const char* what) {
    AVR_CHECK(v->kind == Value::Int, what, " is not an integer");
    return v->i;
  }
  static std::vector<int64_t> int_tuple(const Ref& v, const char* what) {
    AVR_CHECK(v->kind == Value::Tuple, what, " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& x : v->items) out.push_back(as_int(x, what));
    return out;
  }

  // ('storage', torch.FloatStorage, key, location, numel) → the flat CPU tensor.
  Ref persistent_load(const Ref& pid) {
    AVR_CHECK(pid->kind == Value::Tuple && pid->items.size() >= 5 &&
                  pid->items[0]->kind == Value::String && pid->items[0]->s == "storage" &&
                  pid->items[1]->kind == Value::Global && pid->items[2]->kind == Value::String,
              "unsupported persistent object in the pickle");
    const auto dtype = storage_dtype(pid->items[1]->s2);
    const std::string key = pid->items[2]->s;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      const int64_t numel = as_int(pid->items[4], "storage size");
      const std::string record = "data/" + key;
      AVR_CHECK(zip_.hasRecord(record), "the archive lacks tensor data '", record, "'");
      auto [data, bytes] = zip_.getRecord(record);
      // Checked before allocating: the size comes from the pickle, the bytes from the archive.
      const size_t item = c10::elementSize(dtype);
      AVR_CHECK(numel >= 0 && static_cast<uint64_t>(numel) <= bytes / item &&
                    static_cast<size_t>(numel) * item == bytes,
                "tensor data '", record, "' has ", bytes, " bytes, but the pickle says ", numel,
                " elements of ", item, " bytes");
      auto t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
      std::memcpy(t.data_ptr(), data.get(), bytes);
      auto v = make(Value::Storage);
      v->tensor = t;
      it = storages_.emplace(key, v).first;
    }
    return it->second;
  }

  Ref reduce(const Ref& fn, const Ref& args) {
    AVR_CHECK(fn->kind == Value::Global && args->kind == Value::Tuple,
              "unsupported call in the pickle");
    const std::string name = fn->s + "." + fn->s2;
    if (name == "collections.OrderedDict") return make(Value::Dict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      const auto& a = args->items;
      AVR_CHECK(a.size() >= 4 && a[0]->kind == Value::Storage, "malformed tensor in the pickle");
      auto v = make(Value::Tensor);
      v->tensor = a[0]->tensor.as_strided(int_tuple(a[2], "tensor size"),
                                          int_tuple(a[3], "tensor stride"),
                                          as_int(a[1], "storage offset"));
      return v;
    }
    if (name == "torch._utils._rebuild_parameter") {
      AVR_CHECK(!args->items.empty() && args->items[0]->kind == Value::Tensor,
                "malformed parameter in the pickle");
      return args->items[0];
    }
    AVR_FAIL("the pickle calls ", name, ", which a state_dict of tensors does not need");
  }

  caffe2::serialize::PyTorchStreamReader& zip_;
  const char* p_;
  const char* end_;
  std::vector<std::unique_ptr<Value>> arena_;
  std::vector<Ref> stack_;
  std::map<uint64_t, Ref> memo_;
  std::map<std::string, Ref> storages_;
};

// torch.save of a module's state_dict nests nothing; a dict of dicts (several
// models in one file) nests a level or two.
constexpr int kMaxNesting = 32;

void flatten(const Ref& dict, const std::string& prefix,
             std::vector<std::pair<std::string, torch::Tensor>>& out, int depth = 0) {
  AVR_CHECK(depth < kMaxNesting, "dicts nest more than ", kMaxNesting,
            " deep at '", prefix, "' (a dict that contains itself?)");
  for (const auto& [k, v] : dict->dict) {
    AVR_CHECK(k->kind == Value::String, "a key of the state_dict is not a string");
    const std::string name = prefix + k->s;
    if (v->kind == Value::Tensor) out.emplace_back(name, v->tensor);
    else if (v->kind == Value::Dict) flatten(v, name + ".", out, depth + 1);
    else AVR_FAIL("entry '", name, "' is not a tensor (only dicts of tensors can be read)");
  }
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> read_pytorch_state_dict(const fs::path& path) {
  require_file(path, "PyTorch state_dict");
  // What LibTorch's zip reader would allocate for, checked first (zip_records.h).
  const std::string zip_problem = detail::zip_records_problem(path);
  AVR_CHECK(zip_problem.empty(), "cannot read PyTorch state_dict ", path, ": not a PyTorch zip archive (save it "
            "with torch.save from PyTorch ≥ 1.6), or a damaged one (", zip_problem, ")");
  try {
    caffe2::serialize::PyTorchStreamReader zip(path.string());
    if (zip.hasRecord("byteorder")) {
      auto [data, size] = zip.getRecord("byteorder");
      AVR_CHECK(std::string(static_cast<const char*>(data.get()), size) == "little",
                "big-endian tensors are not supported");
    }
    AVR_CHECK(zip.hasRecord("data.pkl"), "the archive has no data.pkl");
    auto [data, size] = zip.getRecord("data.pkl");
    StateDictUnpickler unpickler(zip, static_cast<const char*>(data.get()), size);
    Ref root = unpickler.run();
    AVR_CHECK(root->kind == Value::Dict, "the file holds something else than a dict");
    std::vector<std::pair<std::string, torch::Tensor>> out;
    flatten(root, "", out);
    return out;
  } catch (const Error& e) {
    AVR_FAIL("cannot read PyTorch state_dict ", path, ": ", e.what());
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    AVR_FAIL("cannot read PyTorch state_dict ", path, ": not a PyTorch zip archive (save it with "
             "torch.save from PyTorch ≥ 1.6) (", msg.substr(0, msg.find('\n')), ")");
  }
}

}  // namespace avr
