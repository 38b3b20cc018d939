// Standard sweeps of the sparse MLA and DSA module tables. Dimensions come from --model; heads
// per GPU are the model's heads over TP 1..128 (heads_per_gpu); lengths are sampled densely around index_topk,
// where the cost bends from causal to top-k-bounded.
#include "sparse_mla_collectors.h"

#include <aiconf_plugins/mla_dims.h>
#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::sparse_mla {
using namespace aiconf::plugins;

namespace {

const ModelConfig& dsa_model(const SweepOptions& opt, const char* who) {
  const ModelConfig& m = require_model(opt, who);
  if (!m.has_extension("sparse_mla") || !m.has_extension("dsa"))
    throw Error(std::string("collector ") + who + ": model " + m.source +
                " has no sparse_mla/dsa fields (family '" + m.family + "'); pass a DSA model config with --model");
  return m;
}

// Both cache formats even in --quick sweeps: the FP8 cache is what production decode uses, and the
// quick sweep is what the mock-layer GPU suite checks.
std::vector<std::string> cache_dtypes() { return {"bfloat16", "fp8"}; }

Params op_dims(const ModelConfig& m, std::int64_t heads, const std::string& kv) {
  return Params{{"num_heads", heads},
                {"kv_lora_rank", m.integer("sparse_mla", "kv_lora_rank")},
                {"qk_rope_head_dim", m.integer("sparse_mla", "qk_rope_head_dim")},
                {"index_topk", m.integer("dsa", "index_topk")},
                {"kv_cache_dtype", kv}};
}

std::vector<Params> op_context(const SweepOptions& opt) {
  const ModelConfig& m = dsa_model(opt, "sparse_mla_context");
  std::vector<Params> out;
  for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
    for (const auto& kv : cache_dtypes())
      for (auto b : context_batches(opt.quick))
        for (auto isl : context_lengths(opt.quick, m.integer("dsa", "index_topk")))
          if (b * isl <= kContextTokenLimit)
            out.push_back(op_dims(m, h, kv).set("batch_size", b).set("isl", isl).set("step", std::int64_t(0)));
  return out;
}

std::vector<Params> op_generation(const SweepOptions& opt) {
  const ModelConfig& m = dsa_model(opt, "sparse_mla_generation");
  std::vector<Params> out;
  for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
    for (const auto& kv : cache_dtypes())
      for (std::int64_t next_n : opt.quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 2})
        for (auto b : generation_batches(opt.quick))
          for (auto past : generation_lengths(opt.quick, m.integer("dsa", "index_topk")))
            if (b * past <= kGenerationTokenLimit)
              out.push_back(op_dims(m, h, kv).set("batch_size", b).set("isl", next_n).set("step", past));
  return out;
}

// Module rows: the table columns plus every dimension the mock layer needs.
Params module_base(const ModelConfig& m, std::int64_t heads, const std::string& gemm_type) {
  Params p{{"architecture", m.core.architecture}, {"mla_dtype", std::string("bfloat16")},
           {"kv_cache_dtype", std::string("bfloat16")}, {"gemm_type", gemm_type}, {"num_heads", heads}};
  put_mla_dims(p, mla_dims_from(m, "sparse_mla"));
  for (const char* k : {"index_n_heads", "index_head_dim", "index_topk"}) p.set(k, m.integer("dsa", k));
  return p;
}

std::vector<std::string> gemm_types(bool quick) {
  return quick ? std::vector<std::string>{"bfloat16"} : std::vector<std::string>{"bfloat16", "fp8_block"};
}

std::vector<Params> module_context(const SweepOptions& opt) {
  const ModelConfig& m = dsa_model(opt, "dsa_context_module");
  std::vector<Params> out;
  // Prefix 0 (a fresh prompt) and 128 cached tokens (a chunk after a short prefix), the two prefixes
  // of aiconfigurator's DSA context module tables.
  const std::vector<std::int64_t> prefixes = opt.quick ? std::vector<std::int64_t>{0} : std::vector<std::int64_t>{0, 128};
  for (const auto& g : gemm_types(opt.quick))
    for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
      for (auto step : prefixes)
        for (auto b : context_batches(opt.quick))
          for (auto isl : context_lengths(opt.quick, m.integer("dsa", "index_topk")))
            if (b * isl <= kContextTokenLimit)
              out.push_back(module_base(m, h, g).set("batch_size", b).set("isl", isl).set("tp_size", std::int64_t(1)).set("step", step));
  return out;
}

std::vector<Params> module_generation(const SweepOptions& opt) {
  const ModelConfig& m = dsa_model(opt, "dsa_generation_module");
  std::vector<Params> out;
  for (const auto& g : gemm_types(opt.quick))
    for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
      for (auto b : generation_batches(opt.quick))
        for (auto past : generation_lengths(opt.quick, m.integer("dsa", "index_topk")))
          if (b * past <= kGenerationTokenLimit)
            out.push_back(module_base(m, h, g).set("batch_size", b).set("isl", std::int64_t(1)).set("tp_size", std::int64_t(1)).set("step", past));
  return out;
}

}  // namespace

void register_sparse_mla_collectors(Registrar& r) {
  for (auto [name, fn] : {std::pair{"sparse_mla_context", &op_context}, std::pair{"sparse_mla_generation", &op_generation},
                          std::pair{"dsa_context_module", &module_context},
                          std::pair{"dsa_generation_module", &module_generation}})
    throw_if_error(r.add_collector(new SweepCollector(name, name, name, fn)));
}

}  // namespace aiconf::sparse_mla
