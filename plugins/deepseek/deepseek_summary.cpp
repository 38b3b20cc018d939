// Parameter counting follows the Hugging Face DeepSeek-V3 / V3.2 checkpoints layer by layer.
// `parameters` is the main model (DeepSeek-V3: 671B); the MTP layers are counted separately in
// the notes because they are loaded only when speculative decoding uses them.
#include "deepseek_summary.h"

#include <aiconf_plugins/mla_dims.h>

#include <cstdio>
#include <string>

namespace aiconf::deepseek {

ParamCount attention_params(const DeepseekShape& s) {
  const auto& d = s.mla;
  const double h = double(d.hidden_size), heads = double(d.num_heads);
  ParamCount p;
  if (d.q_lora_rank > 0) {
    p.quantized += h * d.q_lora_rank + double(d.q_lora_rank) * heads * d.mha_qk_dim();  // q_a, q_b
    p.plain += double(d.q_lora_rank);                                                  // q_a_layernorm
  } else {
    p.quantized += h * heads * d.mha_qk_dim();  // q_proj
  }
  p.quantized += h * double(d.kv_lora_rank + d.qk_rope_head_dim);                     // kv_a (with MQA rope key)
  p.plain += double(d.kv_lora_rank);                                                   // kv_a_layernorm
  p.quantized += double(d.kv_lora_rank) * heads * double(d.qk_nope_head_dim + d.v_head_dim);  // kv_b
  p.quantized += heads * double(d.v_head_dim) * h;                                     // o_proj
  if (s.dsa) {
    p.quantized += double(d.q_lora_rank) * s.index_n_heads * s.index_head_dim;  // indexer wq_b
    p.quantized += h * s.index_head_dim;                                        // indexer wk
    p.plain += 2.0 * s.index_head_dim;                                          // indexer k_norm (LayerNorm weight + bias)
    p.plain += h * s.index_n_heads;                                             // indexer weights_proj (kept in bf16)
  }
  p.plain += 2 * h;  // input_layernorm, post_attention_layernorm
  return p;
}

ParamCount moe_params(const DeepseekShape& s) {
  const double h = double(s.mla.hidden_size), w = double(s.moe_intermediate);
  ParamCount p;
  p.quantized += double(s.experts + s.shared_experts) * 3 * h * w;  // gate, up, down per expert
  p.plain += double(s.experts) * h + double(s.experts);              // router and its score-correction bias
  return p;
}

namespace {

double dtype_bytes_of(const std::string& torch_dtype) {
  if (torch_dtype == "float32") return 4;
  return 2;  // bfloat16 / float16, and the default when the config does not say
}

std::string billions(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fB", x / 1e9);
  return buf;
}

}  // namespace

ModelSummary summarize_shape(const DeepseekShape& s) {
  const double h = double(s.mla.hidden_size);
  const ParamCount attn = attention_params(s), moe = moe_params(s);
  const ParamCount dense_mlp{3 * h * double(s.intermediate), 0};
  const double n_dense = double(s.dense_layers.size()), n_moe = double(s.moe_layers.size());

  ParamCount main;
  main.plain += double(s.vocab) * h + h;                         // embed_tokens, final norm
  if (!s.tied_embeddings) main.plain += double(s.vocab) * h;     // lm_head
  for (int i = 0; i < s.layers; ++i) main += attn;
  for (int i = 0; i < n_dense; ++i) main += dense_mlp;
  for (int i = 0; i < n_moe; ++i) main += moe;

  // One MTP layer: enorm, hnorm, eh_proj (2h -> h), a MoE decoder layer, shared_head norm; its
  // embedding and head are the main model's (shared when served).
  ParamCount mtp;
  if (s.mtp_layers > 0) {
    mtp.plain += 3 * h;
    mtp.quantized += 2 * h * h;
    mtp += attn;
    mtp += s.experts > 0 ? moe : dense_mlp;
  }
  ParamCount mtp_all;
  for (int i = 0; i < s.mtp_layers; ++i) mtp_all += mtp;

  // Active per token: everything but the routed experts a token does not visit.
  const double routed_idle = double(s.experts - s.experts_per_tok) * 3 * h * double(s.moe_intermediate);
  ModelSummary out;
  out.parameters = main.total();
  out.active_parameters = main.total() - n_moe * (s.experts > 0 ? routed_idle : 0);

  const double plain_bytes = dtype_bytes_of(s.torch_dtype);
  double q_bytes = plain_bytes;
  std::string precision = "all weights " + (s.torch_dtype.empty() ? std::string("bfloat16 (torch_dtype absent)") : s.torch_dtype);
  if (s.weight_quant == "fp8_block") {
    q_bytes = 1 + 4.0 / (128 * 128);  // e4m3 + one fp32 scale per 128x128 block
    precision = "linear weights fp8 e4m3 with 128x128 block scales, the rest " + (s.torch_dtype.empty() ? "bfloat16" : s.torch_dtype);
  } else if (s.weight_quant == "fp8") {
    q_bytes = 1;
    precision = "linear weights fp8 e4m3 (per-tensor scales)";
  } else if (s.weight_quant == "nvfp4") {
    q_bytes = 0.5 + 1.0 / 16;  // e2m1 + one fp8 scale per 16 values
    precision = "linear weights nvfp4 with 16-value fp8 scales";
  } else if (s.weight_quant.rfind("unsupported:", 0) == 0) {
    precision += "; quantization_config." + s.weight_quant.substr(12) + " is not modelled (counted at torch_dtype)";
  }
  out.weight_bytes = main.quantized * q_bytes + main.plain * plain_bytes;

  const double latent = plugins::latent_cache_bytes(s.mla.kv_lora_rank, s.mla.qk_rope_head_dim, "bfloat16");
  out.kv_bytes_per_token_per_layer = latent + (s.dsa ? s.index_cache_bytes : 0);
  out.attention_layers = s.layers;

  const double fp8_latent = plugins::latent_cache_bytes(s.mla.kv_lora_rank, s.mla.qk_rope_head_dim, "fp8");
  char cache[200];
  std::snprintf(cache, sizeof cache, "KV per token per layer: bf16 latent %.0f B%s (an fp8 latent cache: %.0f B)", latent,
                s.dsa ? (" + DSA index cache " + std::to_string(std::int64_t(s.index_cache_bytes)) + " B").c_str() : "",
                fp8_latent);
  out.notes = "parameters: main model " + billions(main.total()) + " (" + std::to_string(s.dense_layers.size()) + " dense + " +
              std::to_string(s.moe_layers.size()) + " MoE layers); MTP: " + std::to_string(s.mtp_layers) + " layer(s), " +
              billions(mtp_all.total()) + " more (embedding and head shared), " +
              std::to_string(std::int64_t((mtp_all.quantized * q_bytes + mtp_all.plain * plain_bytes) / 1e6)) +
              " MB of weights not in weight_bytes; " + precision + "; " + cache;
  return out;
}

}  // namespace aiconf::deepseek
