// Speed-of-light time and the names of provenances and query modes.
#include <aiconf/operation.h>

#include <algorithm>

namespace aiconf {

double sol_seconds(const SolCost& cost, const SystemSpec& sys) {
  double compute = cost.flops > 0 ? cost.flops / sys.flops_per_second(cost.compute_dtype) : 0;
  double bps = sys.bytes_per_second();
  double memory = cost.bytes > 0 && bps > 0 ? cost.bytes / bps : 0;
  // Communication: NVLink inside a node; a collective over more GPUs than a node holds is bound by
  // the network. Each latency-bound step (e.g. 2(n-1) of a ring all-reduce) pays the link latency.
  double comm = 0;
  if (cost.comm_bytes > 0 || cost.comm_steps > 0) {
    const bool crosses_nodes = cost.comm_gpus > sys.gpus_per_node && sys.gpus_per_node > 0;
    const double gbps = crosses_nodes ? sys.network_gbps : sys.nvlink_gbps;
    const double latency_us = crosses_nodes ? sys.network_latency_us : sys.nvlink_latency_us;
    comm = (gbps > 0 ? cost.comm_bytes / (gbps * 1e9) : 0) + cost.comm_steps * latency_us * 1e-6;
  }
  return std::max(compute, memory) + comm + cost.comm_latency_s + cost.kernels * sys.kernel_launch_us * 1e-6;
}

const char* to_string(Provenance p) noexcept {
  switch (p) {
    case Provenance::exact: return "exact";
    case Provenance::interpolated: return "interpolated";
    case Provenance::extrapolated: return "extrapolated";
    case Provenance::speed_of_light: return "speed_of_light";
    case Provenance::empirical: return "empirical";
  }
  return "unknown";
}

const char* to_string(QueryMode m) noexcept {
  switch (m) {
    case QueryMode::silicon: return "silicon";
    case QueryMode::hybrid: return "hybrid";
    case QueryMode::empirical: return "empirical";
    case QueryMode::sol: return "sol";
  }
  return "unknown";
}

Status parse_query_mode(const std::string& s, QueryMode* out) {
  for (QueryMode m : {QueryMode::silicon, QueryMode::hybrid, QueryMode::empirical, QueryMode::sol})
    if (s == to_string(m)) {
      *out = m;
      return Status::ok();
    }
  return Status::error("query mode '" + s + "' is not known (expected silicon, hybrid, empirical or sol)");
}

}  // namespace aiconf
