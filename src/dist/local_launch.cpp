#include "avr/dist/local_launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "avr/core/error.h"

extern char** environ;

namespace avr::dist {

uint16_t free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  AVR_CHECK(fd >= 0, "cannot open a socket to find a free port: ", std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  const int err = errno;
  ::close(fd);
  AVR_CHECK(ok, "cannot find a free TCP port on 127.0.0.1: ", std::strerror(err),
            " — start the ranks yourself with MASTER_PORT set (torchrun)");
  return ntohs(a.sin_port);
}

namespace {

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

}  // namespace

void run_local_ranks(int nproc, const std::string& executable, const std::vector<std::string>& argv) {
  AVR_CHECK(nproc >= 1, "--nproc must be at least 1");
  const uint16_t port = free_local_port();
  // Everything exec needs is built before fork: a forked child of a threaded
  // program may only call async-signal-safe functions.
  std::vector<std::string> base_env;
  static const char* const kOurs[] = {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=",
                                      "MASTER_ADDR=", "MASTER_PORT=", "AVR_LOCAL_LAUNCH="};
  for (char** e = environ; *e; ++e) {
    bool ours = false;
    for (const char* p : kOurs) ours |= std::strncmp(*e, p, std::strlen(p)) == 0;
    if (!ours) base_env.emplace_back(*e);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::map<pid_t, int> rank_of;
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> env = base_env;
    env.push_back("RANK=" + std::to_string(r));
    env.push_back("LOCAL_RANK=" + std::to_string(r));
    env.push_back("WORLD_SIZE=" + std::to_string(nproc));
    env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(nproc));
    env.push_back("MASTER_ADDR=127.0.0.1");
    env.push_back("MASTER_PORT=" + std::to_string(port));
    env.push_back(std::string(kLocalLaunchVar) + "=1");
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execve(executable.c_str(), args.data(), envp.data());
      const char msg[] = "avr: cannot start a rank (exec failed)\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    if (pid < 0) {
      const int err = errno;
      for (const auto& [p, rr] : rank_of) ::kill(p, SIGTERM);
      for (const auto& [p, rr] : rank_of) ::waitpid(p, nullptr, 0);
      AVR_FAIL("cannot start rank ", r, " of ", nproc, ": ", std::strerror(err));
    }
    rank_of[pid] = r;
  }

  int failed_rank = -1, failed_status = 0;
  while (!rank_of.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // no children left
    }
    const auto it = rank_of.find(pid);
    if (it == rank_of.end()) continue;  // not one of ours
    const int r = it->second;
    rank_of.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && failed_rank < 0) {
      failed_rank = r;
      failed_status = status;
      for (const auto& [p, rr] : rank_of) ::kill(p, SIGTERM);
    }
  }
  AVR_CHECK(failed_rank < 0, "rank ", failed_rank, " of ", nproc, " failed (", describe_status(failed_status),
            "; its message is above); the other ranks were stopped");
}

}  // namespace avr::dist
