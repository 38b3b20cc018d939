#pragma once
/// \file gqa_layers.h
/// The parts of a Llama-style decoder that dense and MoE GQA models share: embedding, the GQA
/// attention block (norm, fused qkv projection, attention, o projection, TP all-reduce), the gated
/// dense MLP, the final norm + lm_head, the pipeline hand-off, and their parameter counts. Used by
/// the attention plugin's `dense_gqa` and the moe plugin's `moe_gqa` builders. Header-only.

#include <aiconf_plugins/model_ops.h>

#include <aiconf/config.h>
#include <aiconf/model.h>

#include <cstdint>
#include <string>

namespace aiconf::plugins {

/// Dimensions of one step on one rank, derived once from the config and the parallel split.
struct GqaStep {
  std::string dtype;            ///< gemm / memory-op dtype ("bfloat16")
  std::int64_t tokens = 0;      ///< tokens this rank processes (batch * new tokens)
  std::int64_t heads = 0;       ///< query heads per rank
  std::int64_t kv_heads = 0;    ///< KV heads per rank
  double layers = 0;            ///< decoder layers of this pipeline stage
};

inline GqaStep gqa_step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) {
  const CoreFields& c = cfg.core;
  if (shape.batch_size < 1 || shape.new_tokens < 1 || shape.past_tokens < 0)
    throw Error("step shape: expected batch_size >= 1, new_tokens >= 1 and past_tokens >= 0, got " +
                std::to_string(shape.batch_size) + ", " + std::to_string(shape.new_tokens) + ", " +
                std::to_string(shape.past_tokens));
  GqaStep s;
  s.dtype = gemm_dtype_for(c.torch_dtype);
  s.tokens = shape.batch_size * shape.new_tokens;
  s.heads = split(c.num_attention_heads, par.tp, "num_attention_heads");
  s.kv_heads = kv_heads_per_rank(c.num_key_value_heads, par.tp);
  s.layers = layers_per_stage(c.num_hidden_layers, par.pp);
  return s;
}

/// Token embedding lookup (first pipeline stage).
inline void add_embedding(Model& m, const ModelConfig& cfg, const GqaStep& s) {
  m.ops.push_back(memory_op("embedding", s.tokens, cfg.core.hidden_size, s.dtype, 1, "embed_tokens"));
}

/// One GQA attention block per layer, `count` layers: input norm, fused qkv, attention, o_proj,
/// all-reduce of the o_proj output when tp > 1.
inline void add_gqa_attention(Model& m, const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape,
                              const GqaStep& s, double count) {
  const CoreFields& c = cfg.core;
  const std::int64_t hd = c.head_dim;
  m.ops.push_back(memory_op("rms_norm", s.tokens, c.hidden_size, s.dtype, count, "layer.input_layernorm"));
  m.ops.push_back(gemm(s.dtype, s.tokens, (s.heads + 2 * s.kv_heads) * hd, c.hidden_size, count, "layer.attn.qkv_proj"));
  const bool context = shape.phase == Phase::context;
  Params key{{"batch_size", shape.batch_size},
             {"isl", shape.new_tokens},
             {"num_heads", s.heads},
             {"num_key_value_heads", s.kv_heads},
             {"head_dim", hd},
             {"window_size", std::int64_t(0)},
             {"beam_width", std::int64_t(1)},
             {"attn_dtype", s.dtype},
             {"kv_cache_dtype", s.dtype},
             {"step", shape.past_tokens}};
  m.ops.push_back(op(context ? "context_attention" : "generation_attention", std::move(key), count, "layer.attn.attention"));
  m.ops.push_back(gemm(s.dtype, s.tokens, c.hidden_size, s.heads * hd, count, "layer.attn.o_proj"));
  if (par.tp > 1)
    m.ops.push_back(collective("all_reduce", "half", par.tp, s.tokens * c.hidden_size, count, "layer.attn.all_reduce"));
}

/// Gated MLP (gate_up fused, SiLU*mul, down) of width `inter` split over tp, `count` layers,
/// including the post-attention norm in front of it and the all-reduce behind it.
inline void add_dense_mlp(Model& m, const ModelConfig& cfg, const ParallelConfig& par, const GqaStep& s,
                          std::int64_t inter, double count, const std::string& prefix) {
  const CoreFields& c = cfg.core;
  const std::int64_t local = split(inter, par.tp, prefix + " intermediate size");
  m.ops.push_back(memory_op("rms_norm", s.tokens, c.hidden_size, s.dtype, count, prefix + ".post_attention_layernorm"));
  m.ops.push_back(gemm(s.dtype, s.tokens, 2 * local, c.hidden_size, count, prefix + ".mlp.gate_up_proj"));
  m.ops.push_back(memory_op("activation", s.tokens, local, s.dtype, count, prefix + ".mlp.act"));
  m.ops.push_back(gemm(s.dtype, s.tokens, c.hidden_size, local, count, prefix + ".mlp.down_proj"));
  if (par.tp > 1)
    m.ops.push_back(collective("all_reduce", "half", par.tp, s.tokens * c.hidden_size, count, prefix + ".mlp.all_reduce"));
}

/// Final norm and lm_head (last pipeline stage; in context only each sequence's last token is
/// projected to logits), plus the activation hand-off between pipeline stages when pp > 1.
inline void add_head(Model& m, const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape, const GqaStep& s) {
  const CoreFields& c = cfg.core;
  const std::int64_t logits_rows = shape.phase == Phase::context ? shape.batch_size : s.tokens;
  m.ops.push_back(memory_op("rms_norm", logits_rows, c.hidden_size, s.dtype, 1, "norm"));
  // The vocabulary is split over tp like a column-parallel linear layer (rounded up: engines pad it).
  const std::int64_t vocab = (c.vocab_size + par.tp - 1) / par.tp;
  m.ops.push_back(gemm(s.dtype, logits_rows, vocab, c.hidden_size, 1, "lm_head"));
  if (par.pp > 1)
    m.ops.push_back(collective("p2p", "half", 2, s.tokens * c.hidden_size, 1, "pipeline.send_activations"));
}

/// Parameters of one GQA attention block (q, k, v, o projections, two norms, Qwen3's q/k norms).
inline double gqa_attention_params(const CoreFields& c) {
  const double h = c.hidden_size, hd = c.head_dim;
  double p = h * c.num_attention_heads * hd + 2 * h * c.num_key_value_heads * hd + c.num_attention_heads * hd * h;
  p += 2 * h;  // input and post-attention RMSNorm weights
  if (c.model_type == "qwen3" || c.model_type == "qwen3_moe") p += 2 * hd;  // per-head q_norm and k_norm
  return p;
}

/// Embedding, final norm and lm_head (shared with the embedding when tied).
inline double embedding_params(const CoreFields& c) {
  const double table = static_cast<double>(c.vocab_size) * c.hidden_size;
  return table * (c.tie_word_embeddings ? 1 : 2) + c.hidden_size;
}

/// Bytes of one weight at the config's dtype (bf16 unless it says float32).
inline double weight_bytes_per_param(const CoreFields& c) { return c.torch_dtype == "float32" ? 4 : 2; }

/// KV cache bytes per token and layer: K and V of every KV head at 2 bytes.
inline double gqa_kv_bytes_per_token(const CoreFields& c) { return 2.0 * c.num_key_value_heads * c.head_dim * 2; }

/// The core fields a GQA builder needs, checked once with the file named.
inline void require_gqa_fields(const ModelConfig& cfg) {
  const CoreFields& c = cfg.core;
  auto need = [&](std::int64_t v, const char* field) {
    if (v <= 0) throw Error(cfg.source + ": " + field + ": expected a positive integer for a GQA model, found " + std::to_string(v));
  };
  need(c.hidden_size, "hidden_size");
  need(c.num_hidden_layers, "num_hidden_layers");
  need(c.num_attention_heads, "num_attention_heads");
  need(c.num_key_value_heads, "num_key_value_heads");
  need(c.head_dim, "head_dim");
  need(c.vocab_size, "vocab_size");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    throw Error(cfg.source + ": num_attention_heads (" + std::to_string(c.num_attention_heads) +
                ") must be a multiple of num_key_value_heads (" + std::to_string(c.num_key_value_heads) + ")");
}

}  // namespace aiconf::plugins
