// Speed-of-light formulas and schemas of the GQA/MHA attention operations. Columns and axis
// transforms follow aiconfigurator's attention tables; every dimension travels in the key.
#include "attention_ops.h"

#include <aiconf_plugins/attention_shapes.h>
#include <aiconf_plugins/formula_operation.h>

#include <algorithm>
#include <string>

namespace aiconf::attention {
using namespace aiconf::plugins;

namespace {

struct Dims {
  double b, isl, step, heads, kv_heads, head_dim, window;
  double act_bytes, kv_bytes;
  std::string compute;
};

Dims read(const Params& key) {
  Dims d;
  d.b = key.number("batch_size");
  d.isl = key.number("isl");
  d.step = key.number_or("step", 0);
  d.heads = key.number("num_heads");
  d.kv_heads = key.number("num_key_value_heads");
  d.head_dim = key.number("head_dim");
  d.window = key.number_or("window_size", 0);
  const double beam = key.number_or("beam_width", 1);
  if (d.b < 1 || d.isl < 1 || d.step < 0 || d.heads < 1 || d.kv_heads < 1 || d.head_dim < 1 || d.window < 0 || beam < 1)
    throw Error("attention key " + key.str() +
                ": expected batch_size, isl, num_heads, num_key_value_heads, head_dim, beam_width >= 1 and step, window_size >= 0");
  // Beams of one request attend like separate sequences over the shared prompt cache.
  d.b *= beam;
  const std::string attn = key.text_or("attn_dtype", "bfloat16");
  d.act_bytes = dtype_bytes(attn);
  d.kv_bytes = dtype_bytes(key.text_or("kv_cache_dtype", attn));
  d.compute = compute_dtype(attn);
  return d;
}

// (query, key) pairs of one sequence: causal, and limited to the last `window` keys when set.
double pairs(const Dims& d) {
  if (d.window <= 0) return causal_pairs(d.isl, d.step);
  return selected_pairs(d.isl, d.step, d.window);
}

// Keys whose K/V must be read at least once: the window (when set) of the last token, else all.
double keys_read(const Dims& d) {
  const double all = d.step + d.isl;
  return d.window > 0 ? std::min(all, d.window + d.isl - 1) : all;
}

SolCost cost(const Dims& d) {
  SolCost c;
  c.compute_dtype = d.compute;
  // QK^T and PV: 2 FLOPs per multiply-add, head_dim each, per head and visible pair.
  c.flops = 4 * d.heads * d.head_dim * d.b * pairs(d);
  const double q_and_out = 2 * d.isl * d.heads * d.head_dim * d.act_bytes;   // read q, write o
  const double kv = keys_read(d) * 2 * d.kv_heads * d.head_dim * d.kv_bytes;  // K and V per token
  c.bytes = d.b * (q_and_out + kv);
  return c;
}

// Batch is affine in the generation table: at a fixed cached length, decode attention reads b
// sequences' KV, a fixed cost plus b times the bytes per sequence (flat while launch-bound, linear
// once memory-bound), which a straight line in latency follows and a power law between the
// brackets bends away from. Holding out batches 2, 8, 32, 128, 512 of our generation tables and
// predicting them from 1, 4, 16, 64, 256, 1024: median 2.44% -> 2.17% (H200), 2.21% -> 1.82%
// (H100); the same holdout on TensorRT-LLM's H200 table 3.7% -> 2.9% (`aiconf db holdout`).
// Context stays log: prefill cost per sequence is quadratic in isl, and batches share waves.
AxisTransform batch_transform(const char* table) {
  return std::string(table).find("generation") != std::string::npos ? AxisTransform::affine : AxisTransform::log;
}

TableSchema schema(const char* table, const char* op) {
  return {table, {op},
          {numeric("batch_size", batch_transform(table)), numeric("isl", AxisTransform::sqrt), numeric("num_heads", AxisTransform::log),
           numeric("num_key_value_heads", AxisTransform::log), categorical("head_dim"), categorical("window_size"),
           categorical("beam_width"), categorical("attn_dtype"), categorical("kv_cache_dtype"),
           numeric_or("step", past_length_transform(table), 0)}};
}

}  // namespace

SolCost context_attention_cost(const Params& key) { return cost(read(key)); }
SolCost generation_attention_cost(const Params& key) { return cost(read(key)); }

void register_attention_operations(Registrar& r) {
  throw_if_error(r.add_operation(new FormulaOperation(
      "context_attention", "GQA/MHA prefill attention: causal softmax(QK^T)V of isl new tokens after step cached ones",
      schema("context_attention_perf", "context_attention"), context_attention_cost)));
  throw_if_error(r.add_operation(new FormulaOperation(
      "generation_attention", "GQA/MHA decode attention: isl new tokens per sequence against the whole KV cache",
      schema("generation_attention_perf", "generation_attention"), generation_attention_cost)));
}

}  // namespace aiconf::attention
