// Dense MLA operations. Context runs in MHA mode: K/V are decompressed per head (q/k width
// nope + rope, v width v_head_dim). Generation runs absorbed (MQA mode): every head reads the
// shared latent cache, q/k width kv_lora + rope, v width kv_lora.
#include "mla_ops.h"

#include <aiconf_plugins/attention_shapes.h>
#include <aiconf_plugins/formula_operation.h>
#include <aiconf_plugins/mla_dims.h>
#include <aiconf_plugins/mla_module_parts.h>

namespace aiconf::mla {
using namespace aiconf::plugins;

SolCost mla_context_sol(const Params& key) {
  const double h = key.number("num_heads"), nope = key.number("qk_nope_head_dim"), rope = key.number("qk_rope_head_dim");
  const double v = key.number("v_head_dim");
  const double b = key.number("batch_size"), isl = key.number("isl"), step = key.number_or("step", 0);
  const double kv_bytes = dtype_bytes(key.text("kv_cache_dtype"));
  SolCost c;
  c.compute_dtype = compute_dtype(key.text_or("mla_dtype", "bfloat16"));
  c.flops = 2 * h * (nope + rope + v) * b * causal_pairs(isl, step);
  // The expanded K and V of every visible token once (heads do not share them) and q, out in bf16.
  // With an FP8 KV cache TensorRT-LLM quantizes q together with K/V (invokeMLAContextFp8Quantize)
  // and its FMHA reads all three in e4m3, so q counts at the cache width too. The quantize copy
  // itself is not counted: an ideal kernel fuses it. compute_dtype stays mla_dtype: TensorRT-LLM's
  // fp8/bf16 latency ratio (0.77-0.97 at isl >= 16384, H200) is far from an fp8 tensor-core 2x.
  c.bytes = b * isl * h * (nope + rope) * kv_bytes + b * (step + isl) * h * (nope + rope + v) * kv_bytes + b * isl * h * v * 2;
  return c;
}

SolCost mla_generation_sol(const Params& key) {
  const double h = key.number("num_heads"), kv_lora = key.number("kv_lora_rank"), rope = key.number("qk_rope_head_dim");
  const double b = key.number("batch_size"), isl = key.number("isl"), step = key.number_or("step", 0);
  const double row = latent_cache_bytes(key.integer("kv_lora_rank"), key.integer("qk_rope_head_dim"), key.text("kv_cache_dtype"));
  SolCost c;
  c.compute_dtype = compute_dtype(key.text_or("mla_dtype", "bfloat16"));
  c.flops = 2 * h * (kv_lora + rope + kv_lora) * b * causal_pairs(isl, step);
  // The whole latent cache of each sequence once (shared by heads and new tokens), q and out.
  c.bytes = b * (step + isl) * row + b * isl * h * (kv_lora + rope) * 2 + b * isl * h * kv_lora * 2;
  return c;
}

namespace {

SolCost bmm_pre(const Params& key) {
  return bmm_pre_sol(key.number("num_tokens"), key.number("num_heads"), key.number("qk_nope_head_dim"),
                     key.number("kv_lora_rank"), key.text("bmm_dtype"));
}

SolCost bmm_post(const Params& key) {
  return bmm_post_sol(key.number("num_tokens"), key.number("num_heads"), key.number("kv_lora_rank"),
                      key.number("v_head_dim"), key.text("bmm_dtype"));
}

// aiconfigurator's context_mla_perf / generation_mla_perf also have tp_size, but every num_heads
// appears with exactly one tp_size there (num_heads = heads / tp_size), so num_heads alone keys
// the rows and tp_size is left out of the schema.
TableSchema attention_schema(const char* table, const char* op) {
  return {table, {op},
          {categorical("mla_dtype"), categorical("kv_cache_dtype"), numeric("num_heads", AxisTransform::log),
           numeric("batch_size", AxisTransform::log), numeric("isl", AxisTransform::sqrt),
           numeric_or("step", past_length_transform(table), 0)}};
}

TableSchema bmm_schema(const char* op_name) {
  return {"mla_bmm_perf", {op_name},
          {categorical("bmm_dtype"), numeric("num_tokens", AxisTransform::log), numeric("num_heads", AxisTransform::log)}};
}

}  // namespace

void register_mla_operations(Registrar& r) {
  throw_if_error(r.add_operation(new FormulaOperation(
      "mla_context", "dense MLA in prefill, MHA mode: causal attention over per-head decompressed K/V",
      attention_schema("context_mla_perf", "mla_context"), mla_context_sol)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "mla_generation", "dense MLA in decode, absorbed MQA mode over the whole latent cache",
      attention_schema("generation_mla_perf", "mla_generation"), mla_generation_sol)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "mla_bmm_pre", "MLA q absorption: per token and head, q_nope x W_UK -> latent query",
      bmm_schema("mla_gen_pre"), bmm_pre)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "mla_bmm_post", "MLA output de-absorption: per token and head, latent output x W_UV -> v",
      bmm_schema("mla_gen_post"), bmm_post)));
}

}  // namespace aiconf::mla
