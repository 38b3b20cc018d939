#pragma once
/// \file mla_dims.h
/// Multi-head latent attention (MLA) dimensions, shared by the mla and sparse_mla config parsers,
/// their operations and the DeepSeek model builders: reading them from a config.json, moving them
/// through a query key, and the bytes of one token of the latent cache. Header-only.

#include <aiconf/config.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <cstdint>
#include <string>

namespace aiconf::plugins {

/// The MLA dimensions of one model (whole model, before any tensor-parallel split).
struct MlaDims {
  std::int64_t hidden_size = 0;
  std::int64_t num_heads = 0;          ///< num_attention_heads
  std::int64_t q_lora_rank = 0;        ///< 0: no query compression (q_proj hidden -> heads*(nope+rope))
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;

  /// Per-head q/k width in MHA mode (context attention over expanded K/V).
  std::int64_t mha_qk_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  /// Per-head q/k width in MQA (absorbed) mode: the latent plus the shared RoPE key.
  std::int64_t mqa_qk_dim() const { return kv_lora_rank + qk_rope_head_dim; }
  /// Per-head value width in MQA mode: the latent itself.
  std::int64_t mqa_v_dim() const { return kv_lora_rank; }
};

/// Bytes of one token of one layer's latent cache. bf16: (kv_lora + rope) * 2 (1152 for 512/64).
/// fp8 (FlashMLA's layout): kv_lora e4m3 bytes + one fp32 scale per 128 latent values + the RoPE
/// part kept in bf16 (656 for 512/64).
inline double latent_cache_bytes(std::int64_t kv_lora_rank, std::int64_t rope, const std::string& kv_cache_dtype) {
  if (kv_cache_dtype == "bfloat16" || kv_cache_dtype == "bf16" || kv_cache_dtype == "float16")
    return 2.0 * double(kv_lora_rank + rope);
  if (kv_cache_dtype == "fp8" || kv_cache_dtype == "fp8_e4m3")
    return double(kv_lora_rank) + 4.0 * double((kv_lora_rank + 127) / 128) + 2.0 * double(rope);
  throw Error("key 'kv_cache_dtype': expected bfloat16 or fp8, found '" + kv_cache_dtype + "'");
}

/// Reads the MLA fields of a config.json into extension `ext` of `cfg` and checks them. Also
/// writes the derived MQA-mode widths (qk_head_dim_mqa, v_head_dim_mqa). `q_lora_rank` may be
/// absent or null (DeepSeek-V2-Lite style) unless `require_q_lora`.
inline MlaDims read_mla_fields(const ConfigView& json, ModelConfig& cfg, const std::string& ext, bool require_q_lora) {
  auto take = [&](const char* key, std::int64_t min, std::int64_t max) {
    std::int64_t v = 0;
    throw_if_error(json.get_int(key, &v, min, max));
    cfg.set(ext, key, v);
    return v;
  };
  auto fail = [&](const char* key, const std::string& what) {
    throw Error(json.source() + ": " + json.path_of(key) + ": " + what);
  };
  MlaDims d;
  d.hidden_size = cfg.core.hidden_size;
  d.num_heads = cfg.core.num_attention_heads;
  d.kv_lora_rank = take("kv_lora_rank", 1, 1 << 16);
  d.qk_rope_head_dim = take("qk_rope_head_dim", 2, 4096);
  d.qk_nope_head_dim = take("qk_nope_head_dim", 1, 4096);
  d.v_head_dim = take("v_head_dim", 1, 4096);
  if (require_q_lora || json.has("q_lora_rank")) d.q_lora_rank = take("q_lora_rank", 1, 1 << 20);
  else cfg.set(ext, "q_lora_rank", std::int64_t(0));
  if (d.qk_rope_head_dim % 2 != 0)
    fail("qk_rope_head_dim", "expected an even number (RoPE rotates pairs of values), found " + std::to_string(d.qk_rope_head_dim));
  if (d.hidden_size > 0 && d.kv_lora_rank >= d.hidden_size)
    fail("kv_lora_rank", "expected less than hidden_size (" + std::to_string(d.hidden_size) +
                             ") since the KV latent compresses the hidden state, found " + std::to_string(d.kv_lora_rank));
  if (d.hidden_size > 0 && d.q_lora_rank >= d.hidden_size)
    fail("q_lora_rank", "expected less than hidden_size (" + std::to_string(d.hidden_size) +
                            ") since the query latent compresses the hidden state, found " + std::to_string(d.q_lora_rank));
  if (d.num_heads <= 0) fail("num_attention_heads", "expected a positive head count for MLA");
  cfg.set(ext, "num_attention_heads", d.num_heads);
  cfg.set(ext, "hidden_size", d.hidden_size);
  cfg.set(ext, "qk_head_dim_mqa", d.mqa_qk_dim());
  cfg.set(ext, "v_head_dim_mqa", d.mqa_v_dim());
  return d;
}

/// The MLA dimensions stored in extension `ext` of a parsed config.
inline MlaDims mla_dims_from(const ModelConfig& cfg, const std::string& ext) {
  MlaDims d;
  d.hidden_size = cfg.core.hidden_size;
  d.num_heads = cfg.core.num_attention_heads;
  d.q_lora_rank = cfg.integer_or(ext, "q_lora_rank", 0);
  d.kv_lora_rank = cfg.integer(ext, "kv_lora_rank");
  d.qk_nope_head_dim = cfg.integer(ext, "qk_nope_head_dim");
  d.qk_rope_head_dim = cfg.integer(ext, "qk_rope_head_dim");
  d.v_head_dim = cfg.integer(ext, "v_head_dim");
  return d;
}

/// Puts the dimensions a module query needs into a key (num_heads is the caller's: heads per GPU).
inline void put_mla_dims(Params& key, const MlaDims& d) {
  key.set("hidden_size", d.hidden_size);
  key.set("q_lora_rank", d.q_lora_rank);
  key.set("kv_lora_rank", d.kv_lora_rank);
  key.set("qk_nope_head_dim", d.qk_nope_head_dim);
  key.set("qk_rope_head_dim", d.qk_rope_head_dim);
  key.set("v_head_dim", d.v_head_dim);
}

/// The dimensions carried by a module query key; num_heads is the key's (heads per GPU).
inline MlaDims mla_dims_from_key(const Params& key) {
  MlaDims d;
  d.hidden_size = key.integer("hidden_size");
  d.num_heads = key.integer("num_heads");
  d.q_lora_rank = key.integer_or("q_lora_rank", 0);
  d.kv_lora_rank = key.integer("kv_lora_rank");
  d.qk_nope_head_dim = key.integer("qk_nope_head_dim");
  d.qk_rope_head_dim = key.integer("qk_rope_head_dim");
  d.v_head_dim = key.integer("v_head_dim");
  return d;
}

}  // namespace aiconf::plugins
