#pragma once
// Everything the DeepSeek builders need from a parsed config, gathered and checked once.
#include <aiconf/config.h>
#include <aiconf_plugins/mla_dims.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiconf::deepseek {

struct DeepseekShape {
  plugins::MlaDims mla;
  std::string architecture;
  bool dsa = false;                   ///< DSA attention (indexer + top-k + sparse MLA)
  std::int64_t index_n_heads = 0, index_head_dim = 0, index_topk = 0;
  double index_cache_bytes = 0;       ///< per token per layer
  std::int64_t layers = 0, vocab = 0, intermediate = 0;
  bool tied_embeddings = false;
  std::int64_t experts = 0, experts_per_tok = 0, moe_intermediate = 0, shared_experts = 0;
  std::int64_t first_k_dense = 0, moe_layer_freq = 1, mtp_layers = 0;
  std::string weight_quant;           ///< see DeepseekConfigParser
  std::string torch_dtype;
  std::vector<std::int64_t> dense_layers, moe_layers;  ///< layer indices of each kind

  /// gemm_type / gemm_dtype of the quantized projections ("bfloat16" when not quantized).
  std::string gemm_type() const;
  /// moe_dtype of the routed experts.
  std::string moe_dtype() const { return gemm_type(); }
};

/// Reads the shape; `dsa` picks the sparse_mla + dsa extensions (deepseek_v32) over mla. Errors
/// name the missing extension and the plugin that writes it.
DeepseekShape read_shape(const ModelConfig& cfg, bool dsa);

/// "layers[3..60]" for a contiguous run, else "layers{58 of 61}".
std::string layer_set_label(const std::vector<std::int64_t>& layers, std::int64_t total);

}  // namespace aiconf::deepseek
