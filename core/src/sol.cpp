// Speed-of-light time and the names of provenances and query modes.
#include <aiconf/operation.h>

#include <algorithm>

namespace aiconf {

double sol_seconds(const SolCost& cost, const SystemSpec& sys) {
  double compute = cost.flops > 0 ? cost.flops / sys.flops_per_second(cost.compute_dtype) : 0;
  double bps = sys.bytes_per_second();
  double memory = cost.bytes > 0 && bps > 0 ? cost.bytes / bps : 0;
  // Communication goes over NVLink inside a node (the ops that cross nodes add their own latency).
  double comm = cost.comm_bytes > 0 && sys.nvlink_gbps > 0 ? cost.comm_bytes / (sys.nvlink_gbps * 1e9) : 0;
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
