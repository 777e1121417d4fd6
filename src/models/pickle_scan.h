// A pass over a pickle's opcodes (protocols 0-5) that checks what LibTorch's
// unpickler (torch::pickle_load) trusts: every length-prefixed argument (strings,
// bytes, long integers) fits in the bytes that follow it. LibTorch 1.13 allocates
// a string of the declared length before reading it, so 700 bytes of checkpoint
// declaring a 1.6 GB string cost 2.1 GB and 6 s, and it sizes its memo table by
// a LONG_BINPUT's index (found by fuzz/checkpoint_fuzz.cpp); the index is checked too.
// It also pops without checking (a TUPLE3 on a one-item stack freed memory it never
// allocated, fuzz_checkpoint under ASan), so the pass keeps the stack's depth and its
// marks and checks that no opcode takes more items than lie above the last mark, and
// that none pops to a mark that was never pushed.
// Opcode table: Python's Lib/pickletools.py.
#pragma once

#include <cstddef>
#include <string>

namespace avr::detail {

// "" when every length fits and the stack never runs short (or the scan reaches an
// opcode it does not know, which the unpickler then rejects); otherwise what is wrong,
// and where.
std::string pickle_problem(const char* data, size_t size);

}  // namespace avr::detail
