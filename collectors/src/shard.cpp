#include "shard.h"

#include <charconv>
#include <cstdlib>

namespace aiconf::collect {

namespace {

bool parse_int(const std::string& s, int* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

Status parse_shard(const std::string& text, ShardSpec* out) {
  auto slash = text.find('/');
  int i = 0, n = 0;
  if (slash == std::string::npos || !parse_int(text.substr(0, slash), &i) || !parse_int(text.substr(slash + 1), &n) ||
      n < 1 || i < 0 || i >= n)
    return Status::error("--shard '" + text + "': expected i/n with 0 <= i < n (e.g. 0/4)");
  out->index = i;
  out->count = n;
  out->source = "--shard";
  return Status::ok();
}

Status shard_from_environment(ShardSpec* out) {
  struct Pair {
    const char *rank, *size, *source;
  };
  for (const Pair& p : {Pair{"SLURM_PROCID", "SLURM_NTASKS", "SLURM"},
                        Pair{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OpenMPI"},
                        Pair{"PMI_RANK", "PMI_SIZE", "PMI"}}) {
    const char* r = std::getenv(p.rank);
    const char* s = std::getenv(p.size);
    if (!r || !s) continue;
    int rank = 0, size = 0;
    if (!parse_int(r, &rank) || !parse_int(s, &size) || size < 1 || rank < 0 || rank >= size)
      return Status::error(std::string(p.rank) + "=" + r + ", " + p.size + "=" + s +
                           ": expected a rank in [0, size) (unset them or pass --shard i/n)");
    *out = ShardSpec{rank, size, p.source};
    return Status::ok();
  }
  *out = ShardSpec{};
  return Status::ok();
}

int local_rank_from_environment() {
  for (const char* name : {"SLURM_LOCALID", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "LOCAL_RANK"}) {
    int v = 0;
    if (const char* s = std::getenv(name); s && parse_int(s, &v) && v >= 0) return v;
  }
  return -1;
}

}  // namespace aiconf::collect
