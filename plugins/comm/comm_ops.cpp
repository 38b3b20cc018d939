// Speed-of-light model of the collectives. The interconnect figures live in the system spec, which
// an operation's cost() cannot see: the cost reports bus bytes, the GPU count and the number of
// latency-bound steps; the core's sol_seconds picks NVLink or the network (comm_gpus vs
// gpus_per_node) and charges each step that link's latency.
#include "comm_ops.h"

#include <aiconf_plugins/formula_operation.h>

namespace aiconf::comm {
using namespace aiconf::plugins;

double bus_factor(Collective c, double n) {
  switch (c) {
    case Collective::all_reduce:
    case Collective::custom_all_reduce: return 2 * (n - 1) / n;
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::alltoall: return (n - 1) / n;
    case Collective::p2p: return 1;
  }
  return 1;
}

double latency_steps(Collective c, double n) {
  switch (c) {
    case Collective::all_reduce: return 2 * (n - 1);
    case Collective::all_gather:
    case Collective::reduce_scatter: return n - 1;
    case Collective::alltoall:
    case Collective::p2p:
    case Collective::custom_all_reduce: return 1;
  }
  return 1;
}

SolCost collective_cost(Collective c, const Params& key) {
  const char* dtype_key = c == Collective::custom_all_reduce ? "allreduce_dtype" : "nccl_dtype";
  const double elem = dtype_bytes(key.text(dtype_key));
  const double n = key.number("num_gpus"), size = key.number("message_size");
  if (!(n >= 1) || !(size >= 0))
    throw Error("communication key " + key.str() + ": expected num_gpus >= 1 and message_size >= 0 (elements)");
  SolCost cost;
  cost.comm_gpus = static_cast<int>(n);
  if (n < 2) return cost;  // one GPU: nothing to move, the engines skip the call
  cost.comm_bytes = bus_factor(c, n) * size * elem;
  cost.comm_steps = static_cast<int>(latency_steps(c, n));
  // No device-memory term: the local reads and writes of a reduction overlap the transfers, and
  // sol_seconds adds communication to max(compute, memory), which would count them twice.
  return cost;
}

namespace {

template <Collective C>
SolCost cost_of(const Params& key) {
  return collective_cost(C, key);
}

TableSchema nccl_schema(const char* table, const char* op_name, const char* dtype_column) {
  return {table, {op_name},
          {categorical(dtype_column), categorical("num_gpus"), numeric("message_size", AxisTransform::log)}};
}

}  // namespace

void register_comm_operations(Registrar& r) {
  auto add = [&](const char* name, const char* what, TableSchema schema, CostFormula f) {
    throw_if_error(r.add_operation(new FormulaOperation(name, what, std::move(schema), f)));
  };
  add("all_reduce", "NCCL all-reduce (sum) of message_size elements over num_gpus GPUs",
      nccl_schema("nccl_perf", "all_reduce", "nccl_dtype"), &cost_of<Collective::all_reduce>);
  add("all_gather", "NCCL all-gather; message_size = gathered elements (nccl-tests convention)",
      nccl_schema("nccl_perf", "all_gather", "nccl_dtype"), &cost_of<Collective::all_gather>);
  add("reduce_scatter", "NCCL reduce-scatter; message_size = elements before the scatter",
      nccl_schema("nccl_perf", "reduce_scatter", "nccl_dtype"), &cost_of<Collective::reduce_scatter>);
  add("alltoall", "NCCL all-to-all; message_size = each GPU's send buffer in elements",
      nccl_schema("nccl_perf", "alltoall", "nccl_dtype"), &cost_of<Collective::alltoall>);
  add("p2p", "point-to-point send/recv between pipeline stages (num_gpus spanned, 2 inside a node)",
      nccl_schema("p2p_perf", "p2p", "nccl_dtype"), &cost_of<Collective::p2p>);
  add("custom_all_reduce", "TensorRT-LLM custom (one-/two-shot NVLink) all-reduce",
      nccl_schema("custom_allreduce_perf", "all_reduce", "allreduce_dtype"), &cost_of<Collective::custom_all_reduce>);
}

}  // namespace aiconf::comm
