#include "pickle_scan.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace avr::detail {

std::string pickle_problem(const char* data, size_t size) {
  size_t i = 0;
  auto left = [&] { return size - i; };
  auto le = [&](int n) {
    uint64_t x = 0;
    for (int k = 0; k < n; ++k) x |= uint64_t{static_cast<uint8_t>(data[i + k])} << (8 * k);
    return x;
  };
  // The stack as the unpickler would hold it: its depth and the depth at each MARK.
  // LibTorch's unpickler pops without checking (a TUPLE3 on a one-item stack freed memory
  // it never allocated, found by fuzz/checkpoint_fuzz.cpp), so every pop is checked here
  // against the items above the last mark (what pickletools calls a stack underflow).
  int64_t depth = 0;
  std::vector<int64_t> marks;
  std::string problem;
  auto where = [&](size_t at, uint8_t op) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    return std::string("opcode ") + hex + " at byte " + std::to_string(at);
  };
  // Takes `pop` items (above the last mark) and leaves `push`.
  auto stack = [&](size_t at, uint8_t op, int64_t pop, int64_t push) {
    const int64_t above = depth - (marks.empty() ? 0 : marks.back());
    if (above < pop) {
      problem = "the pickle's " + where(at, op) + " takes " + std::to_string(pop) + " items from a stack holding " +
                std::to_string(above);
      return false;
    }
    depth += push - pop;
    return true;
  };
  // Pops back to the last mark; then takes `pop` more items and leaves `push`.
  auto to_mark = [&](size_t at, uint8_t op, int64_t pop, int64_t push) {
    if (marks.empty()) {
      problem = "the pickle's " + where(at, op) + " pops to a MARK that was never pushed";
      return false;
    }
    depth = marks.back();
    marks.pop_back();
    return stack(at, op, pop, push);
  };
  while (i < size) {
    const size_t at = i;
    const uint8_t op = static_cast<uint8_t>(data[i++]);
    bool ok = true;
    switch (op) {
      case '(': marks.push_back(depth); break;                                  // MARK
      case '0': ok = stack(at, op, 1, 0); break;                                // POP
      case '1': ok = to_mark(at, op, 0, 0); break;                              // POP_MARK
      case '2': ok = stack(at, op, 1, 2); break;                                // DUP
      case 'a': case 'b': ok = stack(at, op, 2, 1); break;                      // APPEND, BUILD
      case 's': ok = stack(at, op, 3, 1); break;                                // SETITEM
      case 'e': case 'u': case 0x90: ok = to_mark(at, op, 1, 1); break;         // APPENDS, SETITEMS, ADDITEMS
      case 't': case 'l': case 'd': case 0x91: case 'i': ok = to_mark(at, op, 0, 1); break;  // TUPLE, LIST, DICT, FROZENSET, INST
      case 'R': case 0x81: case 0x93: ok = stack(at, op, 2, 1); break;          // REDUCE, NEWOBJ, STACK_GLOBAL
      case 0x92: ok = stack(at, op, 3, 1); break;                               // NEWOBJ_EX
      case 0x85: case 'Q': case 0x98: ok = stack(at, op, 1, 1); break;          // TUPLE1, BINPERSID, READONLY_BUFFER
      case 0x86: ok = stack(at, op, 2, 1); break;                               // TUPLE2
      case 0x87: ok = stack(at, op, 3, 1); break;                               // TUPLE3
      case 'p': case 'q': case 'r': case 0x94: ok = stack(at, op, 1, 1); break; // PUT, BINPUT, LONG_BINPUT, MEMOIZE
      case '.': ok = stack(at, op, 1, 0); break;                                // STOP
      case 0x80: case 0x95: break;                                              // PROTO, FRAME
      default: ++depth; break;  // every other known opcode pushes one item
    }
    if (!ok) return problem;
    int fixed = -1, prefix = 0, lines = 0;
    switch (op) {
      case '(': case '0': case '1': case '2': case 'N': case 'R': case 'Q': case ']': case 'a':
      case 'b': case 'd': case '}': case 'e': case 'l': case ')': case 's': case 't': case 'u':
      case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f: case 0x90:
      case 0x91: case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
        fixed = 0; break;
      case '.': return "";  // STOP
      case 'K': case 'q': case 'h': case 0x80: case 0x82: fixed = 1; break;
      case 'M': case 0x83: fixed = 2; break;
      case 'J': case 'r': case 'j': case 0x84: fixed = 4; break;
      case 'G': case 0x95: fixed = 8; break;
      case 'U': case 0x8c: case 'C': case 0x8a: prefix = 1; break;
      case 'T': case 'X': case 'B': case 0x8b: prefix = 4; break;
      case 0x8d: case 0x8e: case 0x96: prefix = 8; break;
      case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'p': case 'g': lines = 1; break;
      case 'c': case 'i': lines = 2; break;
      default: return "";  // not an opcode: the unpickler reports it
    }
    if (fixed >= 0) {
      if (left() < static_cast<size_t>(fixed)) return "the pickle ends inside an opcode at byte " + std::to_string(at);
      // LONG_BINPUT: LibTorch sizes its memo table by the index (a 4-byte index
      // asked for 27 GB, found by fuzz/checkpoint_fuzz.cpp). Picklers number memo
      // entries 0, 1, 2, ...: an index beyond the pickle's length is damage.
      if (op == 'r' && le(4) > size)
        return "the pickle stores memo entry " + std::to_string(le(4)) + " at byte " + std::to_string(at) +
               " in a pickle of " + std::to_string(size) + " bytes";
      i += fixed;
    } else if (prefix) {
      if (left() < static_cast<size_t>(prefix)) return "the pickle ends inside an opcode at byte " + std::to_string(at);
      const uint64_t n = le(prefix);
      i += prefix;
      if (n > left())
        return "the pickle declares " + std::to_string(n) + " bytes at byte " + std::to_string(at) +
               " where " + std::to_string(left()) + " remain";
      i += n;
    } else {
      for (int k = 0; k < lines; ++k) {
        const void* nl = std::memchr(data + i, '\n', left());
        if (!nl) return "the pickle ends inside a text argument at byte " + std::to_string(at);
        i = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
      }
    }
  }
  return "";
}

}  // namespace avr::detail
