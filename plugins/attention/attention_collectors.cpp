// Standard sweeps of the attention tables: heads per GPU for the model's TP splits (--model),
// the standard batch/length ranges (generation: aiconfigurator's past lengths 2^k - 1), bf16 and
// fp8 KV caches.
#include "attention_collectors.h"

#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::attention {
using namespace aiconf::plugins;

namespace {

// (heads, kv heads) per GPU for tp in 1..16 that splits the query heads.
std::vector<std::pair<std::int64_t, std::int64_t>> head_splits(const ModelConfig& m, bool quick) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  // MLA models (DeepSeek-V3, V3.2, Kimi) have no GQA head_dim (the core would derive hidden / heads,
  // e.g. 56): their attention is timed by the mla and sparse_mla collectors.
  if (m.has_extension("mla") || m.has_extension("sparse_mla"))
    throw Error(m.source + ": an MLA model (kv_lora_rank present): use the mla/sparse_mla collectors, not GQA attention");
  const std::int64_t heads = m.core.num_attention_heads, kv = m.core.num_key_value_heads;
  if (heads <= 0 || kv <= 0) throw Error(m.source + ": attention collectors need num_attention_heads and num_key_value_heads");
  for (std::int64_t tp : {1, 2, 4, 8, 16}) {
    if (heads % tp != 0 || (kv >= tp ? kv % tp : tp % kv) != 0) continue;
    out.emplace_back(heads / tp, kv >= tp ? kv / tp : 1);
    if (quick) break;
  }
  return out;
}

Params base(const ModelConfig& m, std::int64_t heads, std::int64_t kv, const std::string& kv_dtype) {
  return Params{{"num_heads", heads},          {"num_key_value_heads", kv},   {"head_dim", m.core.head_dim},
                {"window_size", std::int64_t(0)}, {"beam_width", std::int64_t(1)}, {"attn_dtype", std::string("bfloat16")},
                {"kv_cache_dtype", kv_dtype}};
}

std::vector<std::string> kv_dtypes(bool quick) {
  return quick ? std::vector<std::string>{"bfloat16"} : std::vector<std::string>{"bfloat16", "fp8"};
}

std::vector<Params> context_sweep(const SweepOptions& opt) {
  const ModelConfig& m = require_model(opt, "context_attention");
  std::vector<Params> out;
  for (const auto& kvd : kv_dtypes(opt.quick))
    for (auto [h, kv] : head_splits(m, opt.quick))
      for (auto b : context_batches(opt.quick))
        for (auto isl : context_lengths(opt.quick))
          if (b * isl <= kContextTokenLimit)
            out.push_back(Params(base(m, h, kv, kvd)).set("batch_size", b).set("isl", isl).set("step", std::int64_t(0)));
  return out;
}

std::vector<Params> generation_sweep(const SweepOptions& opt) {
  const ModelConfig& m = require_model(opt, "generation_attention");
  std::vector<Params> out;
  for (const auto& kvd : kv_dtypes(opt.quick))
    for (auto [h, kv] : head_splits(m, opt.quick))
      for (auto b : generation_batches(opt.quick))
        for (auto past : whole_tile_generation_lengths(opt.quick))
          if (b * past <= kGenerationTokenLimit)
            out.push_back(Params(base(m, h, kv, kvd)).set("batch_size", b).set("isl", std::int64_t(1)).set("step", past));
  return out;
}

}  // namespace

void register_attention_collectors(Registrar& r) {
  throw_if_error(r.add_collector(new SweepCollector("context_attention", "context_attention", "context_attention", context_sweep)));
  throw_if_error(
      r.add_collector(new SweepCollector("generation_attention", "generation_attention", "generation_attention", generation_sweep)));
}

}  // namespace aiconf::attention
