// CUDA mock layer of dense MLA prefill (mla_context), MHA mode: K and V are decompressed per head,
// so the op is causal MHA attention with q/k width qk_nope_head_dim + qk_rope_head_dim (DeepSeek:
// 128 + 64 = 192) and v width v_head_dim (128), over isl new tokens after step cached ones. Runs the
// flash-attention wgmma kernel (plugins/attention/kernels) with num_kv_heads = num_heads and the
// shared mock layer of that library (random bf16 inputs, rotated sets, sampled CPU check).
// kv_cache_dtype fp8: TensorRT-LLM (sm90, FP8 KV cache: mFP8ContextMLA) runs
// invokeMLAContextFp8Quantize, one copy kernel that quantizes the context Q, K and V to e4m3
// with a per-tensor scale, before an FP8 context FMHA. The mock runs the same quantize pass
// (every run, on the caller's stream) and then the bf16 attention: our kernel has no e4m3
// operand path, so the FMHA part is bf16-class (aiconfigurator's H200 table: TensorRT-LLM's fp8 rows
// are 0.77-0.97x its bf16 ones at isl >= 16384, where this mock will read slow).
#include "mla_context_mock_layer.h"

#include <aiconf/flash_attention/attention_mock_layer.h>

#include <string>

namespace aiconf::mla {
using namespace aiconf::flash_attention;

namespace {

/// The shape of an mla_context key (mla_collectors.cpp: num_heads per GPU, the MLA dims of the
/// config, batch_size, isl, step, mla_dtype, kv_cache_dtype).
AttentionShape mla_context_shape(const Params& key) {
  const std::string who = "mla_context mock layer";
  const std::string dtype = key.text_or("mla_dtype", "bfloat16");
  if (dtype != "bfloat16") throw Error(who + ": mla_dtype must be bfloat16, got '" + dtype + "'");
  const std::string kv = key.text_or("kv_cache_dtype", "bfloat16");
  if (kv != "bfloat16" && kv != "fp8")
    throw Error(who + ": kv_cache_dtype '" + kv + "' is not supported: expected bfloat16 or fp8 (e4m3)");
  const std::int64_t nope = key.integer("qk_nope_head_dim"), rope = key.integer("qk_rope_head_dim");
  const std::int64_t v = key.integer("v_head_dim");
  if (nope + rope != 192 || v != 128)
    throw Error(who + ": the kernel supports qk_nope_head_dim + qk_rope_head_dim = 192 and v_head_dim = 128 (DeepSeek MLA), got " +
                std::to_string(nope) + " + " + std::to_string(rope) + " and " + std::to_string(v));
  AttentionShape s;
  s.batch = key.integer("batch_size");
  s.isl = key.integer("isl");
  s.step = key.integer_or("step", 0);
  s.heads = s.kv_heads = static_cast<int>(key.integer("num_heads"));
  if (s.heads < 1) throw Error(who + ": num_heads must be >= 1, got " + std::to_string(s.heads));
  s.head_dim_qk = 192;
  s.head_dim_v = 128;
  s.fp8_kv = kv == "fp8";
  return s;
}

struct MlaContextLayer final : AttentionMockLayer {
  MlaContextLayer() : AttentionMockLayer("mla_context") {}
  AttentionShape shape_of(const Params& key) const override { return mla_context_shape(key); }
};

}  // namespace

void register_mla_context_mock_layer(aiconf::Registrar& r) {
  throw_if_error(r.add_mock_layer(new plugins::MockLayerFactoryOf<MlaContextLayer>(
      "mla_context", "mla_context",
      "dense MLA prefill in MHA mode (q/k 192, v 128, per-head K/V) on the sm_90a wgmma flash-attention kernel; "
      "kv_cache_dtype fp8 adds the per-tensor e4m3 quantization of Q/K/V before it")));
}

}  // namespace aiconf::mla
