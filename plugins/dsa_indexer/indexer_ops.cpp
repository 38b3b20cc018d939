// Speed-of-light formulas and table schemas of the indexer operations. Key conventions follow
// aiconfigurator's attention tables (see attention_shapes.h): batch_size, isl (new tokens per
// sequence), step (cached tokens before them); dims come from the config through the key.
#include "indexer_ops.h"

#include <aiconf_plugins/attention_shapes.h>
#include <aiconf_plugins/formula_operation.h>

namespace aiconf::dsa {
using namespace aiconf::plugins;

namespace {

// Logits I[t,s] = sum_h w[t,h] * ReLU(q[t,h] . k[s]) over the visible keys, q/k in FP8.
SolCost logits_cost(const Params& key) {
  const double h = key.number("index_n_heads"), d = key.number("index_head_dim");
  const double b = key.number("batch_size"), isl = key.number("isl"), step = key.number_or("step", 0);
  SolCost c;
  c.compute_dtype = "fp8";
  c.flops = 2 * h * d * b * causal_pairs(isl, step);
  const double q_bytes = isl * h * d + isl * h * 4;  // fp8 q + fp32 head weights
  const double cache_bytes = (step + isl) * (d + 4);   // fp8 key + fp32 scale per token
  const double logits_bytes = isl * (step + isl) * 4;  // full fp32 rows (masked entries too)
  c.bytes = b * (q_bytes + cache_bytes + logits_bytes);
  return c;
}

// Top-k of each logits row: read the visible part of every row, write k indices.
SolCost topk_cost(const Params& key) {
  const double k = key.number("index_topk");
  const double b = key.number("batch_size"), isl = key.number("isl"), step = key.number_or("step", 0);
  SolCost c;
  c.compute_dtype = "fp32";
  c.bytes = b * (4 * causal_pairs(isl, step) + 4 * isl * k);
  return c;
}

TableSchema logits_schema(const char* table, const char* op) {
  return {table, {op},
          {numeric("index_n_heads", AxisTransform::log), categorical("index_head_dim"), numeric("batch_size", AxisTransform::log),
           numeric("isl", AxisTransform::sqrt), numeric_or("step", past_length_transform(table), 0)}};
}

TableSchema topk_schema(const char* table, const char* op) {
  return {table, {op},
          {categorical("index_topk"), numeric("batch_size", AxisTransform::log), numeric("isl", AxisTransform::sqrt),
           numeric_or("step", past_length_transform(table), 0)}};
}

}  // namespace

void register_indexer_operations(Registrar& r) {
  throw_if_error(r.add_operation(new FormulaOperation(
      "dsa_indexer_logits_context",
      "DSA lightning indexer logits in prefill: FP8 q.k per head, ReLU, head-weighted sum, causal mask",
      logits_schema("dsa_indexer_context_perf", "dsa_indexer_logits_context"), logits_cost)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "dsa_indexer_logits_generation",
      "DSA lightning indexer logits in decode: isl new tokens per sequence against the whole index cache",
      logits_schema("dsa_indexer_generation_perf", "dsa_indexer_logits_generation"), logits_cost)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "dsa_topk_context", "top-index_topk selection of each causal logits row (prefill)",
      topk_schema("dsa_topk_context_perf", "dsa_topk_context"), topk_cost)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "dsa_topk_generation", "top-index_topk selection of each logits row (decode)",
      topk_schema("dsa_topk_generation_perf", "dsa_topk_generation"), topk_cost)));
}

}  // namespace aiconf::dsa
