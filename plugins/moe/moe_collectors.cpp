// The moe_perf sweep: the model's expert shape, every (moe_tp, moe_ep) split of 1..16 GPUs that
// divides it, token counts 1..16384, bf16/fp8/fp8_block, balanced and power-law routing.
#include "moe_collectors.h"

#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::moe {
using namespace aiconf::plugins;

namespace {

std::vector<Params> moe_sweep(const SweepOptions& opt) {
  const ModelConfig& m = require_model(opt, "moe");
  if (!m.has_extension("moe")) throw Error("collector moe: " + m.source + " has no routed experts (no 'moe' config extension)");
  const std::int64_t h = m.core.hidden_size, inter = m.integer("moe", "moe_intermediate_size");
  const std::int64_t topk = m.integer("moe", "num_experts_per_tok"), experts = m.integer("moe", "num_experts");
  const auto tokens = opt.quick ? std::vector<std::int64_t>{1, 64, 1024} : powers_of_two(1, 16384);
  const auto dtypes = opt.quick ? std::vector<std::string>{"bfloat16"} : std::vector<std::string>{"bfloat16", "fp8", "fp8_block"};
  const auto dists = opt.quick ? std::vector<std::string>{"balanced"} : std::vector<std::string>{"balanced", "power_law_1.01"};
  std::vector<Params> out;
  for (std::int64_t gpus : opt.quick ? std::vector<std::int64_t>{1} : powers_of_two(1, 16))
    for (std::int64_t ep = 1; ep <= gpus; ep *= 2) {
      const std::int64_t tp = gpus / ep;
      if (experts % ep != 0 || inter % tp != 0) continue;
      for (const auto& dtype : dtypes)
        for (const auto& dist : dists)
          for (std::int64_t t : tokens)
            out.push_back(Params{{"moe_dtype", dtype}, {"num_tokens", t}, {"hidden_size", h}, {"inter_size", inter},
                                 {"topk", topk}, {"num_experts", experts}, {"moe_tp_size", tp}, {"moe_ep_size", ep},
                                 {"distribution", dist}});
    }
  return out;
}

}  // namespace

void register_moe_collectors(Registrar& r) {
  throw_if_error(r.add_collector(new SweepCollector("moe", "moe", "moe", moe_sweep)));
}

}  // namespace aiconf::moe
