// Entry of the comm plugin: NCCL collectives, p2p and the custom all-reduce.
#include <aiconf/plugin/abi.h>

#include "comm_collectors.h"
#include "comm_ops.h"

namespace {
void register_comm(aiconf::Registrar& r) {
  using namespace aiconf::comm;
  register_comm_operations(r);
  register_comm_collectors(r);
  // No mock layers yet: NCCL mock layers for 2 and 4 GPUs are later work (the collectors name them).
}
}  // namespace

AICONF_PLUGIN("comm", "0.1.0", "Communication: all_reduce, all_gather, reduce_scatter, alltoall, p2p, custom_all_reduce",
              register_comm)
