#pragma once
/// \file mla_module_parts.h
/// The parts every MLA attention block shares (dense MLA in the mla plugin, DSA in sparse_mla):
/// the projection GEMMs and the weight-absorption BMMs, with their speed-of-light formulas.
/// Header-only; the plugins add their attention kernels.

#include <aiconf_plugins/composed_operation.h>
#include <aiconf_plugins/mla_dims.h>

#include <string>
#include <vector>

namespace aiconf::plugins {

/// The `gemm` table dtype for a module's `gemm_type` (aiconfigurator's values).
inline std::string gemm_dtype_of(const std::string& gemm_type) {
  if (gemm_type == "bfloat16" || gemm_type == "fp8" || gemm_type == "fp8_block" || gemm_type == "nvfp4") return gemm_type;
  throw Error("key 'gemm_type': expected bfloat16, fp8, fp8_block or nvfp4, found '" + gemm_type + "'");
}

/// The `mla_bmm_perf` dtype for a module's `gemm_type`: bf16 BMMs with bf16 projections, fp8
/// (block-scaled) BMMs otherwise, as aiconfigurator's table has them.
inline std::string bmm_dtype_of(const std::string& gemm_type) { return gemm_dtype_of(gemm_type) == "bfloat16" ? "bfloat16" : "fp8"; }

inline Part gemm_part(std::string label, double m, std::int64_t n, std::int64_t k, const std::string& dtype) {
  Part p;
  p.label = std::move(label);
  p.op = "gemm";
  p.plugin = "gemm";
  p.key = Params{{"gemm_dtype", dtype}, {"m", static_cast<std::int64_t>(m)}, {"n", n}, {"k", k}};
  p.sol = gemm_sol(m, double(n), double(k), dtype);
  return p;
}

/// q absorption, per token and head: q_nope[nope] x W_UK[nope, kv_lora] -> [kv_lora].
inline SolCost bmm_pre_sol(double tokens, double heads, double nope, double kv_lora, const std::string& bmm_dtype) {
  SolCost c;
  c.compute_dtype = compute_dtype(bmm_dtype);
  c.flops = 2 * tokens * heads * nope * kv_lora;
  c.bytes = tokens * heads * (nope + kv_lora) * 2 + heads * nope * kv_lora * dtype_bytes(bmm_dtype);
  return c;
}

/// Output de-absorption, per token and head: o_latent[kv_lora] x W_UV[kv_lora, v] -> [v].
inline SolCost bmm_post_sol(double tokens, double heads, double kv_lora, double v, const std::string& bmm_dtype) {
  SolCost c;
  c.compute_dtype = compute_dtype(bmm_dtype);
  c.flops = 2 * tokens * heads * kv_lora * v;
  c.bytes = tokens * heads * (kv_lora + v) * 2 + heads * kv_lora * v * dtype_bytes(bmm_dtype);
  return c;
}

/// q_a (or q_proj without a query latent), kv_a and q_b for `m` tokens and `d.num_heads` heads.
inline void add_input_projections(std::vector<Part>& parts, const MlaDims& d, double m, const std::string& dtype) {
  const std::int64_t q_width = d.num_heads * d.mha_qk_dim();
  if (d.q_lora_rank > 0) {
    parts.push_back(gemm_part("q_a_proj", m, d.q_lora_rank, d.hidden_size, dtype));
    parts.push_back(gemm_part("q_b_proj", m, q_width, d.q_lora_rank, dtype));
  } else {
    parts.push_back(gemm_part("q_proj", m, q_width, d.hidden_size, dtype));
  }
  parts.push_back(gemm_part("kv_a_proj", m, d.kv_lora_rank + d.qk_rope_head_dim, d.hidden_size, dtype));
}

inline void add_output_projection(std::vector<Part>& parts, const MlaDims& d, double m, const std::string& dtype) {
  parts.push_back(gemm_part("o_proj", m, d.hidden_size, d.num_heads * d.v_head_dim, dtype));
}

/// The absorption BMM before (pre) or after (post) MQA-mode attention. When no plugin registers
/// mla_bmm_pre/post (the mla plugin is not loaded), the BMM is folded into one `gemm` query with
/// m = tokens * heads: the same FLOPs and activation bytes, but the GEMM reads one head's weights
/// where the BMM reads every head's, so small-token latencies come out low (said in the label).
inline Part absorb_part(bool pre, const MlaDims& d, double tokens, const std::string& gemm_type, const QueryContext* ctx) {
  const std::string bmm = bmm_dtype_of(gemm_type);
  const char* op = pre ? "mla_bmm_pre" : "mla_bmm_post";
  const std::int64_t k = pre ? d.qk_nope_head_dim : d.kv_lora_rank;
  const std::int64_t n = pre ? d.kv_lora_rank : d.v_head_dim;
  if (!ctx || ctx->has_operation(op)) {
    Part p;
    p.label = pre ? "q_absorb_bmm" : "o_absorb_bmm";
    p.op = op;
    p.plugin = "mla";
    p.key = Params{{"bmm_dtype", bmm},
                   {"num_tokens", static_cast<std::int64_t>(tokens)},
                   {"num_heads", d.num_heads},
                   {"kv_lora_rank", d.kv_lora_rank},
                   {"qk_nope_head_dim", d.qk_nope_head_dim},
                   {"v_head_dim", d.v_head_dim}};
    p.sol = pre ? bmm_pre_sol(tokens, double(d.num_heads), double(k), double(n), bmm)
                : bmm_post_sol(tokens, double(d.num_heads), double(k), double(n), bmm);
    return p;
  }
  Part p = gemm_part(std::string(pre ? "q_absorb_bmm" : "o_absorb_bmm") + " (as gemm m=tokens*heads: " + op + " not loaded)",
                     tokens * double(d.num_heads), n, k, bmm);
  return p;
}

/// The schema of aiconfigurator's attention-block module tables (mla_*_module_perf,
/// dsa_*_module_perf). `architecture` is a key because one file may hold several models with
/// otherwise identical keys (DeepSeek-V3.2 and GLM-5 rows in dsa_*_module_perf); `model` is not.
/// tp_size is 1 in every measured row since num_heads already is the per-GPU head count, so
/// builders leave it at its default.
inline TableSchema attention_module_schema(const char* table, const char* op) {
  return {table, {op},
          {categorical("architecture"), categorical("mla_dtype"), categorical("kv_cache_dtype"), categorical("gemm_type"),
           numeric("num_heads", AxisTransform::log), numeric("batch_size", AxisTransform::log),
           numeric("isl", AxisTransform::sqrt), numeric_or("tp_size", AxisTransform::linear, 1),
           numeric_or("step", past_length_transform(table), 0)}};
}

}  // namespace aiconf::plugins
