// What the fuzz targets that reach LibTorch share.
#pragma once

#include <c10/util/Logging.h>

#include <string>

namespace avr::fuzz {

// c10::Error's constructor asks a stack-trace fetcher for its message, and the default
// one symbolizes a backtrace (dladdr per frame): with `perf`, _dl_addr was 51 % of
// fuzz_checkpoint's time, as most inputs are files LibTorch rejects. The targets never
// print those messages (an avr::Error names the file; anything else aborts), so an empty
// fetcher changes what is tested in nothing but speed. Call from LLVMFuzzerInitialize.
inline void no_torch_backtraces() {
  c10::SetStackTraceFetcher([] { return std::string(); });
}

}  // namespace avr::fuzz
