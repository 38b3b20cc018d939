// Standard sweeps of the dense MLA tables, dimensions from --model, heads per GPU over TP 1..16.
#include "mla_collectors.h"

#include <aiconf_plugins/mla_dims.h>
#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::mla {
using namespace aiconf::plugins;

namespace {

const ModelConfig& mla_model(const SweepOptions& opt, const char* who) {
  const ModelConfig& m = require_model(opt, who);
  if (!m.has_extension("mla"))
    throw Error(std::string("collector ") + who + ": model " + m.source + " has no MLA fields (family '" + m.family +
                "'); pass a DeepSeek-style config with --model");
  return m;
}

std::vector<std::string> list(bool quick, std::vector<std::string> all) {
  if (quick) all.resize(1);
  return all;
}

Params attention_base(const ModelConfig& m, std::int64_t heads, const std::string& kv) {
  Params p{{"mla_dtype", std::string("bfloat16")}, {"kv_cache_dtype", kv}, {"num_heads", heads}};
  put_mla_dims(p, mla_dims_from(m, "mla"));
  return p;
}

std::vector<Params> context(const SweepOptions& opt) {
  const ModelConfig& m = mla_model(opt, "mla_context");
  std::vector<Params> out;
  for (const auto& kv : list(opt.quick, {"bfloat16", "fp8"}))
    for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
      for (auto b : context_batches(opt.quick))
        for (auto isl : context_lengths(opt.quick))
          if (b * isl <= kContextTokenLimit)
            out.push_back(attention_base(m, h, kv).set("batch_size", b).set("isl", isl).set("step", std::int64_t(0)));
  return out;
}

std::vector<Params> generation(const SweepOptions& opt) {
  const ModelConfig& m = mla_model(opt, "mla_generation");
  std::vector<Params> out;
  for (const auto& kv : list(opt.quick, {"bfloat16", "fp8"}))
    for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
      for (std::int64_t next_n : opt.quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 2})
        for (auto b : generation_batches(opt.quick))
          for (auto past : generation_lengths(opt.quick))
            if (b * past <= kGenerationTokenLimit)
              out.push_back(attention_base(m, h, kv).set("batch_size", b).set("isl", next_n).set("step", past));
  return out;
}

// BMM token counts: powers of two plus midpoints up to the largest context chunk.
std::vector<Params> bmm(const SweepOptions& opt, const char* who) {
  const ModelConfig& m = mla_model(opt, who);
  std::vector<std::int64_t> tokens;
  for (auto t : powers_of_two(1, opt.quick ? 64 : 32768)) {
    tokens.push_back(t);
    if (!opt.quick && t >= 32 && t < 32768) tokens.push_back(t + t / 2);
  }
  std::vector<Params> out;
  for (const auto& dtype : list(opt.quick, {"bfloat16", "fp8"}))
    for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
      for (auto t : tokens) {
        Params p{{"bmm_dtype", dtype}, {"num_tokens", t}, {"num_heads", h}};
        put_mla_dims(p, mla_dims_from(m, "mla"));
        out.push_back(std::move(p));
      }
  return out;
}

std::vector<Params> bmm_pre(const SweepOptions& o) { return bmm(o, "mla_bmm_pre"); }
std::vector<Params> bmm_post(const SweepOptions& o) { return bmm(o, "mla_bmm_post"); }

Params module_base(const ModelConfig& m, std::int64_t heads, const std::string& gemm_type, const std::string& kv) {
  Params p{{"architecture", m.core.architecture}, {"mla_dtype", std::string("bfloat16")}, {"kv_cache_dtype", kv},
           {"gemm_type", gemm_type}, {"num_heads", heads}};
  put_mla_dims(p, mla_dims_from(m, "mla"));
  return p;
}

std::vector<Params> module_context(const SweepOptions& opt) {
  const ModelConfig& m = mla_model(opt, "mla_context_module");
  std::vector<Params> out;
  for (const auto& g : list(opt.quick, {"bfloat16", "fp8_block"}))
    for (const auto& kv : list(opt.quick, {"bfloat16", "fp8"}))
      for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
        for (auto b : context_batches(opt.quick))
          for (auto isl : context_lengths(opt.quick))
            if (b * isl <= kContextTokenLimit)
              out.push_back(module_base(m, h, g, kv).set("batch_size", b).set("isl", isl).set("tp_size", std::int64_t(1)).set("step", std::int64_t(0)));
  return out;
}

std::vector<Params> module_generation(const SweepOptions& opt) {
  const ModelConfig& m = mla_model(opt, "mla_generation_module");
  std::vector<Params> out;
  for (const auto& g : list(opt.quick, {"bfloat16", "fp8_block"}))
    for (const auto& kv : list(opt.quick, {"bfloat16", "fp8"}))
      for (auto h : heads_per_gpu(m.core.num_attention_heads, opt.quick))
        for (auto b : generation_batches(opt.quick))
          for (auto past : generation_lengths(opt.quick))
            if (b * past <= kGenerationTokenLimit)
              out.push_back(module_base(m, h, g, kv).set("batch_size", b).set("isl", std::int64_t(1)).set("tp_size", std::int64_t(1)).set("step", past));
  return out;
}

}  // namespace

void register_mla_collectors(Registrar& r) {
  for (auto [name, fn] : {std::pair{"mla_context", &context}, std::pair{"mla_generation", &generation},
                          std::pair{"mla_bmm_pre", &bmm_pre}, std::pair{"mla_bmm_post", &bmm_post},
                          std::pair{"mla_context_module", &module_context},
                          std::pair{"mla_generation_module", &module_generation}})
    throw_if_error(r.add_collector(new SweepCollector(name, name, name, fn)));
}

}  // namespace aiconf::mla
