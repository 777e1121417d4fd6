// Errors: avr::Error is what a user sees (one line that names the file, row or
// flag and what to do); AVR_CHECK throws it for the caller's mistakes and
// AVR_ASSERT for broken invariants of our own (a bug in avr).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace avr {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void throw_internal(const char* cond, const char* file, int line,
                                 const std::string& msg);
}  // namespace detail

}  // namespace avr

// AVR_CHECK(cond, "part", value, "part") — message parts are streamed together.
#define AVR_CHECK(cond, ...)                                      \
  do {                                                            \
    if (!(cond)) throw ::avr::Error(::avr::detail::concat(__VA_ARGS__)); \
  } while (0)

#define AVR_FAIL(...) throw ::avr::Error(::avr::detail::concat(__VA_ARGS__))

#define AVR_ASSERT(cond, ...)                                                    \
  do {                                                                           \
    if (!(cond))                                                                 \
      ::avr::detail::throw_internal(#cond, __FILE__, __LINE__,                   \
                                    ::avr::detail::concat("" __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)
