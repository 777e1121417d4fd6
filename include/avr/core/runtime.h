// Process-wide settings that decide speed on CPU, applied at start-up, and
// facts about the machine reported next to every result.
#pragma once

#include <string>

namespace avr {

// glibc returns large buffers to the OS and page-faults them back on every
// training step (measured: audio net forward 1.7 s → 0.17 s at batch 8 when
// the thresholds are raised). The mmap threshold cannot go above 32 MiB, and
// a batch's activations are bigger (32 clips × 64 channels × 4096 samples is
// exactly 32 MiB), so mmap is switched off: measured, audio training on the
// default profile 70.8 → 234.5 clips/s, system time 30 s → 2 s an epoch.
// Memory freed inside the heap is kept for reuse; idempotent.
void configure_allocator();
std::string allocator_description();

// OpenMP threads that finish a parallel region spin for ~300k iterations
// before sleeping (libgomp's default). When anything else wants the cores —
// our loader threads, a parallel ctest, a compiler — the spinning starves it
// (measured: FGSM on 16 tiny clips 14.8 s → 2.7 s with 2 threads under load).
// libgomp reads its policy when it is loaded, before main(), so this sets
// GOMP_SPINCOUNT=1000 and re-executes the program once, unless the user chose
// a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). Returns only when no
// re-exec happened.
void reexec_with_short_openmp_spin(char** argv);
std::string openmp_wait_description();

// Which BLAS the dynamic loader picked for libblas.so.3 (Debian alternatives).
std::string blas_library();

// The CPU's model name and its widest vector extension, e.g. "AMD EPYC (avx2)", and the
// kernel family OpenBLAS chose for it ("Haswell", "SkylakeX"; "not OpenBLAS" otherwise).
// Results are bit-identical run to run on one machine type, but another kernel family
// rounds differently, and a from-scratch training amplifies that (measured: one epoch of
// the visual net gives other weights with OPENBLAS_CORETYPE=Sandybridge than with the
// default; README, "Determinism"): every result records both.
std::string cpu_description();
std::string blas_kernel();

}  // namespace avr
