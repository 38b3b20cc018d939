// memory_op_perf sweeps: num_tokens 1..65536 by powers of two, the widths a model uses for each op
// (--model, over tp 1..8) or a generic list without one.
#include "memory_collectors.h"

#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

#include <set>

namespace aiconf::memory {
using namespace aiconf::plugins;

namespace {

std::set<std::int64_t> model_widths(const std::string& op, const ModelConfig& m, bool quick) {
  const CoreFields& c = m.core;
  std::set<std::int64_t> w;
  for (std::int64_t tp : quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 2, 4, 8}) {
    auto add_split = [&](std::int64_t total) {
      if (total > 0 && total % tp == 0) w.insert(total / tp);
    };
    if (op == "embedding" || op == "rms_norm" || op == "elementwise") {
      w.insert(c.hidden_size);
    } else if (op == "activation") {
      add_split(c.intermediate_size);
      if (m.has_extension("moe"))
        add_split(m.integer("moe", "moe_intermediate_size") * std::max<std::int64_t>(1, m.integer_or("moe", "num_shared_experts", 0)));
    } else if (op == "quantize") {
      w.insert(c.hidden_size);
      add_split(c.intermediate_size);
    } else if (op == "kv_cache_write") {
      const std::int64_t kv = c.num_key_value_heads >= tp ? c.num_key_value_heads / tp : 1;
      w.insert(2 * kv * c.head_dim);
    }
  }
  w.erase(0);
  return w;
}

template <const char* Op>
std::vector<Params> sweep(const SweepOptions& opt) {
  const std::string op = Op;
  std::set<std::int64_t> widths;
  if (opt.model) widths = model_widths(op, *opt.model, opt.quick);
  else if (opt.quick) widths = {4096};
  else widths = {1024, 2048, 4096, 5120, 7168, 8192, 16384};
  std::vector<std::string> dtypes{"bfloat16"};
  if (op == "quantize") dtypes = {"fp8"};
  if (op == "kv_cache_write" && !opt.quick) dtypes.push_back("fp8");
  const auto tokens = opt.quick ? std::vector<std::int64_t>{1, 256, 8192} : powers_of_two(1, 65536);
  std::vector<Params> out;
  for (const auto& d : dtypes)
    for (std::int64_t h : widths)
      for (std::int64_t t : tokens) out.push_back(Params{{"num_tokens", t}, {"hidden_size", h}, {"dtype", d}});
  return out;
}

constexpr char kEmbedding[] = "embedding", kRmsNorm[] = "rms_norm", kActivation[] = "activation",
               kQuantize[] = "quantize", kKvCacheWrite[] = "kv_cache_write", kElementwise[] = "elementwise";

}  // namespace

void register_memory_collectors(Registrar& r) {
  for (auto [name, fn] : {std::pair{kEmbedding, &sweep<kEmbedding>}, std::pair{kRmsNorm, &sweep<kRmsNorm>},
                          std::pair{kActivation, &sweep<kActivation>}, std::pair{kQuantize, &sweep<kQuantize>},
                          std::pair{kKvCacheWrite, &sweep<kKvCacheWrite>}, std::pair{kElementwise, &sweep<kElementwise>}})
    throw_if_error(r.add_collector(new SweepCollector(name, name, name, fn)));
}

}  // namespace aiconf::memory
