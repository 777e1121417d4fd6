// Process-wide settings that decide speed on CPU, applied at start-up, and
// facts about the machine reported next to every result.
#pragma once

#include <string>

namespace avr {

// glibc returns large buffers to the OS and page-faults them back on every
// training step (measured: audio net forward 1.7 s → 0.17 s at batch 8 when
// the thresholds are raised). Raises the mmap/trim thresholds; idempotent.
void configure_allocator();
std::string allocator_description();

// Which BLAS the dynamic loader picked for libblas.so.3 (Debian alternatives).
std::string blas_library();

}  // namespace avr
