#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::comm {
/// Registers the nccl_perf, p2p_perf and custom_allreduce_perf sweeps (2 and 4 GPUs).
void register_comm_collectors(Registrar& r);
}  // namespace aiconf::comm
