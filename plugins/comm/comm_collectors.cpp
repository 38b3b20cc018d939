// Communication sweeps: message sizes by powers of two (256 .. 2^29 elements, 512 B .. 1 GiB in
// half), 2 and 4 GPUs, aiconfigurator's dtypes. No model needed.
#include "comm_collectors.h"

#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::comm {
using namespace aiconf::plugins;

namespace {

std::vector<Params> sweep(const SweepOptions& opt, const char* dtype_column, std::vector<std::string> dtypes,
                          std::vector<std::int64_t> gpus, std::int64_t smallest) {
  const auto sizes = opt.quick ? std::vector<std::int64_t>{smallest, 1 << 20, 1 << 26} : powers_of_two(smallest, 1 << 29);
  if (opt.quick) {
    dtypes.resize(1);
    gpus.resize(1);
  }
  std::vector<Params> out;
  for (const auto& d : dtypes)
    for (std::int64_t n : gpus)
      for (std::int64_t s : sizes) out.push_back(Params{{dtype_column, d}, {"num_gpus", n}, {"message_size", s}});
  return out;
}

std::vector<Params> nccl_sweep(const SweepOptions& o) { return sweep(o, "nccl_dtype", {"half", "int8"}, {2, 4}, 256); }
std::vector<Params> p2p_sweep(const SweepOptions& o) { return sweep(o, "nccl_dtype", {"half"}, {2}, 256); }
std::vector<Params> custom_sweep(const SweepOptions& o) { return sweep(o, "allreduce_dtype", {"bfloat16"}, {2, 4}, 128); }

}  // namespace

// Collectives need several GPUs at once, which a single-stream MockLayer cannot drive: these sweeps
// are run by the multi-GPU program aiconf-collect-nccl (collectors/nccl/), named here in the place of
// a mock layer so `aiconf plugins` and `aiconf-collect --list` say what measures them.
constexpr const char* kMeasuredBy = "aiconf-collect-nccl";

void register_comm_collectors(Registrar& r) {
  for (const char* op : {"all_reduce", "all_gather", "reduce_scatter", "alltoall"})
    throw_if_error(r.add_collector(new SweepCollector(op, op, kMeasuredBy, nccl_sweep)));
  throw_if_error(r.add_collector(new SweepCollector("p2p", "p2p", kMeasuredBy, p2p_sweep)));
  throw_if_error(r.add_collector(new SweepCollector("custom_all_reduce", "custom_all_reduce", kMeasuredBy, custom_sweep)));
}

}  // namespace aiconf::comm
