#include "avr/core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "avr/core/error.h"

namespace avr {
namespace {

std::atomic<int> g_bulk_scopes{0};

fs::path temp_sibling(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() /
         ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
          std::to_string(counter++));
}

void fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  AVR_CHECK(in, "cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_dir(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  AVR_CHECK(!ec, "cannot create folder ", dir, ": ", ec.message());
}

void write_atomic_with(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  ensure_dir(path.parent_path());
  const fs::path tmp = temp_sibling(path);
  try {
    write(tmp);
    if (g_bulk_scopes.load() == 0) fsync_path(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    AVR_CHECK(!ec, "cannot move ", tmp, " to ", path, ": ", ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

BulkWriteScope::BulkWriteScope() { ++g_bulk_scopes; }
BulkWriteScope::~BulkWriteScope() { --g_bulk_scopes; }

void sync_filesystem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  AVR_CHECK(fd >= 0, "cannot open ", path, " to flush it: ", std::strerror(errno));
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  AVR_CHECK(rc == 0, "cannot flush the filesystem of ", path, ": ", std::strerror(err));
}

void write_file_atomic(const fs::path& path, const std::string& bytes) {
  write_atomic_with(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    AVR_CHECK(out, "cannot write ", tmp, ": ", std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    AVR_CHECK(out, "cannot write ", tmp, " (disk full?)");
  });
}

void require_file(const fs::path& path, const std::string& what) {
  AVR_CHECK(fs::is_regular_file(path), what, " not found: ", path);
}

}  // namespace avr
