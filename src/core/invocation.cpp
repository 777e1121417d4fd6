#include "avr/core/invocation.h"

#include <cctype>
#include <filesystem>
#include <mutex>

namespace avr {
namespace {

std::mutex& lock() {
  static std::mutex m;
  return m;
}

std::string& recorded() {
  static std::string s;
  return s;
}

// POSIX shell quoting: plain words stay as they are, anything else goes in '…'.
std::string quote(const std::string& word) {
  bool plain = !word.empty();
  for (char ch : word)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || std::string("-_./=:,+@%").find(ch) != std::string::npos))
      plain = false;
  if (plain) return word;
  std::string out = "'";
  for (char ch : word) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

void record_invocation(int argc, char** argv) {
  if (argc <= 0) {  // forget it (tests)
    const std::lock_guard<std::mutex> guard(lock());
    recorded().clear();
    return;
  }
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  std::string s = ec ? std::string() : "cd " + quote(cwd.string()) + " && ";
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + quote(argv[i]);
  const std::lock_guard<std::mutex> guard(lock());
  recorded() = s;
}

std::string invocation() {
  const std::lock_guard<std::mutex> guard(lock());
  return recorded();
}

}  // namespace avr
