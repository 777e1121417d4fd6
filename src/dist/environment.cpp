#include "avr/dist/environment.h"

#include <cstdlib>

#include "avr/core/error.h"

namespace avr::dist {
namespace {

constexpr const char* kAll = "RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT";

int parse_int(const std::string& name, const std::string& value, int lo, int hi) {
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  AVR_CHECK(used == value.size() && used > 0, name, "='", value, "' is not a whole number (torchrun sets ",
            kAll, "; set them all or none)");
  AVR_CHECK(v >= lo && v <= hi, name, "=", v, " is out of range (", lo, " … ", hi, ")");
  return static_cast<int>(v);
}

}  // namespace

DistEnv parse_dist_env(const std::function<std::optional<std::string>(const std::string&)>& get) {
  DistEnv e;
  const auto rank = get("RANK"), world = get("WORLD_SIZE"), addr = get("MASTER_ADDR"),
             port = get("MASTER_PORT"), local = get("LOCAL_RANK"), local_world = get("LOCAL_WORLD_SIZE");
  if (!rank && !world) {
    AVR_CHECK(!local, "LOCAL_RANK is set but RANK and WORLD_SIZE are not: set ", kAll,
              " for a multi-process run (torchrun does), or unset LOCAL_RANK for one process");
    return e;  // one process; MASTER_* alone (left from another job) do not matter
  }
  AVR_CHECK(rank, "WORLD_SIZE is set but RANK is not: set ", kAll,
            " for every process of a multi-process run (torchrun does), or neither for one process");
  AVR_CHECK(world, "RANK is set but WORLD_SIZE is not: set ", kAll,
            " for every process of a multi-process run (torchrun does), or neither for one process");
  e.world_size = parse_int("WORLD_SIZE", *world, 1, 1 << 20);
  e.rank = parse_int("RANK", *rank, 0, 1 << 20);
  AVR_CHECK(e.rank < e.world_size, "RANK=", e.rank, " is not below WORLD_SIZE=", e.world_size,
            ": ranks count from 0");
  e.local_rank = local ? parse_int("LOCAL_RANK", *local, 0, 1 << 20) : e.rank;
  e.local_world_size = local_world ? parse_int("LOCAL_WORLD_SIZE", *local_world, 1, 1 << 20) : 1;
  AVR_CHECK(e.local_rank < std::max(e.local_world_size, e.world_size), "LOCAL_RANK=", e.local_rank,
            " is not below WORLD_SIZE=", e.world_size);
  if (e.world_size == 1) return e;  // one process announced by torchrun: no rendezvous
  AVR_CHECK(addr && !addr->empty(), "MASTER_ADDR is not set (RANK=", e.rank, ", WORLD_SIZE=", e.world_size,
            "): set it to the host of rank 0 on every rank, e.g. MASTER_ADDR=127.0.0.1 on one machine");
  AVR_CHECK(port, "MASTER_PORT is not set (RANK=", e.rank, ", WORLD_SIZE=", e.world_size,
            "): set it to a free TCP port on rank 0's host, the same on every rank (e.g. 29500)");
  e.master_addr = *addr;
  e.master_port = parse_int("MASTER_PORT", *port, 1, 65535);
  return e;
}

DistEnv dist_env_from_environment() {
  return parse_dist_env([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace avr::dist
