#include "avr/core/error.h"

namespace avr::detail {

void throw_internal(const char* cond, const char* file, int line, const std::string& msg) {
  throw Error(concat("internal error (a bug in avr, please report it): ", cond, " failed at ",
                     file, ":", line, msg.empty() ? "" : ": ", msg));
}

}  // namespace avr::detail
