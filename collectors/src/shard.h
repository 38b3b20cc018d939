#pragma once
// Splitting one sweep over processes: `--shard i/n` takes the cases whose index (in the sweep's
// order, before resume skips anything, so the split is stable across restarts) is i modulo n.
// Without --shard, the rank and size of a Slurm or MPI job (SLURM_PROCID/SLURM_NTASKS,
// OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE, PMI_RANK/PMI_SIZE) are used, so `srun aiconf-collect`
// on many nodes splits one sweep without any flag.

#include <aiconf/status.h>

#include <string>

namespace aiconf::collect {

struct ShardSpec {
  int index = 0;
  int count = 1;
  std::string source = "none";  ///< "--shard", "SLURM", "OpenMPI", "PMI" or "none"
  bool sharded() const { return count > 1; }
  bool takes(std::size_t case_index) const { return case_index % static_cast<std::size_t>(count) == static_cast<std::size_t>(index); }
  std::string str() const { return std::to_string(index) + "/" + std::to_string(count); }
};

/// Parses "i/n" (0 <= i < n); error names the text and the expected form.
Status parse_shard(const std::string& text, ShardSpec* out);
/// The shard of this process from the launcher's environment; count 1 when none says more.
/// Error when a launcher variable holds something that is not a valid rank/size.
Status shard_from_environment(ShardSpec* out);
/// The launcher's local rank (GPU index within the node), or -1 when none is set.
int local_rank_from_environment();

}  // namespace aiconf::collect
