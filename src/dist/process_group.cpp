#include "avr/dist/process_group.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <cstring>

#include "avr/core/error.h"
#include "avr/core/timer.h"

namespace avr::dist {
namespace {

std::chrono::milliseconds timeout_from_env(std::chrono::seconds fallback) {
  const char* v = std::getenv("AVR_DIST_TIMEOUT");
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  AVR_CHECK(end && *end == '\0' && s > 0, "AVR_DIST_TIMEOUT='", v,
            "' is not a positive number of seconds");
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

void check_cpu_dense(const torch::Tensor& t, const char* what) {
  AVR_ASSERT(t.defined() && t.device().is_cpu() && t.is_contiguous(), what,
             ": collectives here take defined, contiguous CPU tensors");
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::vector<c10::intrusive_ptr<c10d::Work>> pending;  // all_reduce_sum_start's

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* op) {
    try {
      work->wait();
    } catch (const std::exception& e) {
      AVR_FAIL(op, " across the ranks failed (", first_line(e.what()),
               "): another rank stopped or is unreachable — its own error says why");
    }
  }
};

ProcessGroup::ProcessGroup() = default;

ProcessGroup::ProcessGroup(const DistEnv& env) : env_(env) {
  if (!env.distributed()) return;
  const auto rendezvous_timeout = timeout_from_env(std::chrono::seconds(300));
  const auto op_timeout = timeout_from_env(std::chrono::seconds(1800));
  auto impl = std::make_shared<Impl>();
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(env.master_port);
    o.isServer = env.rank == 0;
    o.numWorkers = static_cast<std::size_t>(env.world_size);
    o.waitWorkers = true;
    o.timeout = rendezvous_timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  } catch (const std::exception& e) {
    AVR_FAIL("rank ", env.rank, " of ", env.world_size, ": rendezvous at MASTER_ADDR:MASTER_PORT=", where,
             " failed within ", rendezvous_timeout.count() / 1000.0, " s (", first_line(e.what()),
             "): start all WORLD_SIZE=", env.world_size,
             " ranks with the same MASTER_ADDR and MASTER_PORT, make sure rank 0 runs on that host and "
             "the port is free there and reachable; AVR_DIST_TIMEOUT=<seconds> waits longer");
  }
  try {
    auto opts = c10d::ProcessGroupGloo::Options::create(op_timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (is_loopback(env.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = 1;  // one collective at a time per rank; the compute threads are LibTorch's
    impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world_size, opts);
  } catch (const std::exception& e) {
    // TCPStore lets rank 0 go on alone; the missing ranks show here, when Gloo
    // waits for their addresses in the store.
    AVR_FAIL("rank ", env.rank, " of ", env.world_size, ": rendezvous at MASTER_ADDR:MASTER_PORT=", where,
             " did not complete within ", op_timeout.count() / 1000.0, " s (Gloo: ", first_line(e.what()),
             "): start all WORLD_SIZE=", env.world_size,
             " ranks with the same MASTER_ADDR and MASTER_PORT; on several machines set GLOO_SOCKET_IFNAME to "
             "the interface the ranks reach each other through; AVR_DIST_TIMEOUT=<seconds> waits longer");
  }
  impl_ = std::move(impl);
}

ProcessGroup ProcessGroup::from_environment() { return ProcessGroup(dist_env_from_environment()); }

std::string ProcessGroup::describe() const {
  if (!distributed()) return "one process";
  return "rank " + std::to_string(rank()) + " of " + std::to_string(world_size());
}

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> one{tensor};
  all_reduce_sum(one);
}

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (!impl_ || tensors.empty()) return;
  Timer t;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  works.reserve(tensors.size());
  for (auto& x : tensors) {
    check_cpu_dense(x, "all_reduce_sum");
    std::vector<at::Tensor> v{x};
    works.push_back(impl_->pg->allreduce(v));
    stats_.all_reduce_bytes += static_cast<int64_t>(x.nbytes());
  }
  for (auto& w : works) impl_->wait(w, "all-reduce");
  stats_.all_reduce_calls += static_cast<int64_t>(tensors.size());
  stats_.all_reduce_seconds += t.seconds();
}

void ProcessGroup::all_reduce_sum_start(torch::Tensor& tensor) {
  if (!impl_) return;
  check_cpu_dense(tensor, "all_reduce_sum_start");
  std::vector<at::Tensor> v{tensor};
  impl_->pending.push_back(impl_->pg->allreduce(v));
  stats_.all_reduce_bytes += static_cast<int64_t>(tensor.nbytes());
  stats_.all_reduce_calls += 1;
}

void ProcessGroup::wait_pending() {
  if (!impl_ || impl_->pending.empty()) return;
  Timer t;
  auto pending = std::move(impl_->pending);
  impl_->pending.clear();
  for (auto& w : pending) impl_->wait(w, "all-reduce");
  stats_.all_reduce_seconds += t.seconds();
}

void ProcessGroup::broadcast(torch::Tensor& tensor, int root) {
  std::vector<torch::Tensor> one{tensor};
  broadcast(one, root);
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  if (!impl_ || tensors.empty()) return;
  AVR_ASSERT(root >= 0 && root < world_size(), "broadcast root ", root);
  Timer t;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  c10d::BroadcastOptions o;
  o.rootRank = root;
  for (auto& x : tensors) {
    check_cpu_dense(x, "broadcast");
    std::vector<at::Tensor> v{x};
    works.push_back(impl_->pg->broadcast(v, o));
  }
  for (auto& w : works) impl_->wait(w, "broadcast");
  stats_.other_calls += static_cast<int64_t>(tensors.size());
  stats_.other_seconds += t.seconds();
}

std::vector<std::string> ProcessGroup::all_gather_bytes(const std::string& mine) {
  if (!impl_) return {mine};
  Timer t;
  const int n = world_size();
  // Sizes first, then every rank's bytes padded to the longest.
  std::vector<at::Tensor> size_in{torch::tensor({static_cast<int64_t>(mine.size())}, torch::kInt64)};
  std::vector<std::vector<at::Tensor>> size_out(1);
  for (int r = 0; r < n; ++r) size_out[0].push_back(torch::empty({1}, torch::kInt64));
  impl_->wait(impl_->pg->allgather(size_out, size_in), "all-gather");
  int64_t longest = 0;
  for (const auto& s : size_out[0]) longest = std::max(longest, s.item<int64_t>());
  auto padded = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  std::memcpy(padded.data_ptr<uint8_t>(), mine.data(), mine.size());
  std::vector<at::Tensor> in{padded};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < n; ++r) out[0].push_back(torch::empty_like(padded));
  impl_->wait(impl_->pg->allgather(out, in), "all-gather");
  std::vector<std::string> all;
  for (int r = 0; r < n; ++r)
    all.emplace_back(reinterpret_cast<const char*>(out[0][r].data_ptr<uint8_t>()),
                     static_cast<size_t>(size_out[0][r].item<int64_t>()));
  stats_.other_calls += 2;
  stats_.other_seconds += t.seconds();
  return all;
}

void ProcessGroup::barrier() {
  if (!impl_) return;
  Timer t;
  impl_->wait(impl_->pg->barrier(), "barrier");
  stats_.other_calls += 1;
  stats_.other_seconds += t.seconds();
}

}  // namespace avr::dist
