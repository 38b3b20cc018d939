// Entry of the comm plugin: NCCL collectives, p2p and the custom all-reduce.
#include <aiconf/plugin/abi.h>

#include "comm_collectors.h"
#include "comm_ops.h"

namespace {
void register_comm(aiconf::Registrar& r) {
  using namespace aiconf::comm;
  register_comm_operations(r);
  register_comm_collectors(r);
  // No mock layers: a collective needs all its GPUs at once, which the single-GPU MockLayer cannot
  // express; collectors/nccl (aiconf-collect-nccl) measures these tables from the collectors' sweeps.
}
}  // namespace

AICONF_PLUGIN("comm", "0.1.0", "Communication: all_reduce, all_gather, reduce_scatter, alltoall, p2p, custom_all_reduce",
              register_comm)
