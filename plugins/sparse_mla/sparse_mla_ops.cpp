// Sparse MLA operations: schemas and speed-of-light. Each query token attends to at most
// index_topk selected keys (attention_shapes.h: selected_pairs); heads share the gathered rows.
#include "sparse_mla_ops.h"

#include <aiconf_plugins/attention_shapes.h>
#include <aiconf_plugins/formula_operation.h>
#include <aiconf_plugins/mla_dims.h>

namespace aiconf::sparse_mla {
using namespace aiconf::plugins;

SolCost sparse_mla_sol(const Params& key) {
  const double h = key.number("num_heads"), kv_lora = key.number("kv_lora_rank"), rope = key.number("qk_rope_head_dim");
  const double topk = key.number("index_topk");
  const double b = key.number("batch_size"), isl = key.number("isl"), step = key.number_or("step", 0);
  const double dqk = kv_lora + rope, dv = kv_lora;
  const double pairs = b * selected_pairs(isl, step, topk);
  SolCost c;
  c.compute_dtype = "bf16";
  c.flops = 2 * h * (dqk + dv) * pairs;
  const double row_bytes = latent_cache_bytes(key.integer("kv_lora_rank"), key.integer("qk_rope_head_dim"),
                                              key.text("kv_cache_dtype"));
  // q and out in bf16; each query token gathers its selected rows once for all heads, and reads
  // their int32 indices.
  c.bytes = b * isl * h * dqk * 2 + pairs * (row_bytes + 4) + b * isl * h * dv * 2;
  return c;
}

namespace {

TableSchema schema(const char* table, const char* op) {
  return {table, {op},
          {numeric("num_heads", AxisTransform::log), categorical("kv_lora_rank"), categorical("qk_rope_head_dim"),
           categorical("index_topk"), categorical("kv_cache_dtype"), numeric("batch_size", AxisTransform::log),
           numeric("isl", AxisTransform::sqrt), numeric_or("step", past_length_transform(table), 0)}};
}

}  // namespace

void register_sparse_mla_operations(Registrar& r) {
  throw_if_error(r.add_operation(new FormulaOperation(
      "sparse_mla_context",
      "sparse MLA in prefill, MQA mode: each query attends to its top-k selected latent rows (bf16 or FP8 cache)",
      schema("sparse_mla_context_perf", "sparse_mla_context"), sparse_mla_sol)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "sparse_mla_generation",
      "sparse MLA in decode, MQA mode: isl new tokens per sequence over their top-k selected latent rows",
      schema("sparse_mla_generation_perf", "sparse_mla_generation"), sparse_mla_sol)));
}

}  // namespace aiconf::sparse_mla
