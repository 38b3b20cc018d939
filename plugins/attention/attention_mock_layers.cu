// CUDA mock layers of GQA/MHA attention: context_attention (causal prefill of isl tokens after step
// cached ones) and generation_attention (isl = 1, or a few MTP tokens, against a cache of step
// tokens), both on the flash-attention kernels of kernels/ with a bf16 KV cache.
#include "attention_mock_layers.h"

#include <aiconf/flash_attention/attention_mock_layer.h>

#include <string>

namespace aiconf::attention {
using namespace aiconf::flash_attention;

namespace {

/// The shape of a context_attention / generation_attention key (attention_collectors.cpp's fields).
AttentionShape shape_from(const Params& key, const char* layer) {
  const std::string who = std::string(layer) + " mock layer";
  const std::string attn = key.text_or("attn_dtype", "bfloat16");
  if (attn != "bfloat16") throw Error(who + ": attn_dtype must be bfloat16 (the only kernel input type), got '" + attn + "'");
  const std::string kv = key.text_or("kv_cache_dtype", attn);
  if (kv != "bfloat16")
    throw Error(who + ": kv_cache_dtype '" + kv + "' is not supported: the flash-attention kernel reads a bfloat16 KV cache only " +
                "(no fp8 e4m3 path yet)");
  if (key.integer_or("window_size", 0) != 0)
    throw Error(who + ": window_size must be 0 (sliding-window attention is not implemented), got " +
                std::to_string(key.integer_or("window_size", 0)));
  const std::int64_t beam = key.integer_or("beam_width", 1);
  if (beam < 1) throw Error(who + ": beam_width must be >= 1, got " + std::to_string(beam));
  AttentionShape s;
  // Beams attend like separate sequences (as the speed-of-light formula counts them).
  s.batch = key.integer("batch_size") * beam;
  s.isl = key.integer("isl");
  s.step = key.integer_or("step", 0);
  s.heads = static_cast<int>(key.integer("num_heads"));
  s.kv_heads = static_cast<int>(key.integer("num_key_value_heads"));
  const std::int64_t d = key.integer("head_dim");
  if (d != 64 && d != 128) throw Error(who + ": head_dim must be 64 or 128, got " + std::to_string(d));
  if (s.heads < 1 || s.kv_heads < 1 || s.heads % s.kv_heads != 0)
    throw Error(who + ": num_heads must be a positive multiple of num_key_value_heads, got " + std::to_string(s.heads) +
                " and " + std::to_string(s.kv_heads));
  s.head_dim_qk = s.head_dim_v = static_cast<int>(d);
  return s;
}

struct ContextLayer final : AttentionMockLayer {
  ContextLayer() : AttentionMockLayer("context_attention") {}
  AttentionShape shape_of(const Params& key) const override { return shape_from(key, "context_attention"); }
};

struct GenerationLayer final : AttentionMockLayer {
  GenerationLayer() : AttentionMockLayer("generation_attention") {}
  AttentionShape shape_of(const Params& key) const override { return shape_from(key, "generation_attention"); }
};

}  // namespace

void register_attention_mock_layers(Registrar& r) {
  throw_if_error(r.add_mock_layer(new plugins::MockLayerFactoryOf<ContextLayer>(
      "context_attention", "context_attention",
      "causal GQA/MHA prefill on the sm_90a wgmma flash-attention kernel (bf16 Q/K/V, fp32 softmax)")));
  throw_if_error(r.add_mock_layer(new plugins::MockLayerFactoryOf<GenerationLayer>(
      "generation_attention", "generation_attention",
      "GQA/MHA decode on the sm_90a wgmma flash-attention kernel with split-KV (bf16 cache [batch, kv_heads, len, d])")));
}

}  // namespace aiconf::attention
