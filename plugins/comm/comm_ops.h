#pragma once
// Communication operations: NCCL collectives and p2p (nccl_perf, p2p_perf) and TensorRT-LLM's
// custom all-reduce (custom_allreduce_perf), with aiconfigurator's columns.
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

#include <string>

namespace aiconf::comm {

/// The collectives, with their ring bus-bandwidth factor and latency steps.
enum class Collective { all_reduce, all_gather, reduce_scatter, alltoall, p2p, custom_all_reduce };

/// Bytes each GPU moves over its link per byte of message (nccl-tests' bus/algorithm bandwidth
/// ratio): all_reduce 2(n-1)/n, all_gather and reduce_scatter (n-1)/n, alltoall (n-1)/n, p2p 1.
double bus_factor(Collective c, double gpus);
/// Latency-bound steps of the algorithm: ring all_reduce 2(n-1), all_gather/reduce_scatter n-1,
/// alltoall and p2p 1 (all peers at once), custom all-reduce 1 (one-shot).
double latency_steps(Collective c, double gpus);
/// Speed-of-light cost of a key (dtype column, num_gpus, message_size in elements as in
/// aiconfigurator's tables: the whole buffer in nccl-tests' convention).
SolCost collective_cost(Collective c, const Params& key);
void register_comm_operations(Registrar& r);

}  // namespace aiconf::comm
