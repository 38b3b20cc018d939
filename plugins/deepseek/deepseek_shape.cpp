#include "deepseek_shape.h"

#include <aiconf/status.h>

namespace aiconf::deepseek {

namespace {

void require(const ModelConfig& cfg, const char* ext, const char* plugin) {
  if (!cfg.has_extension(ext))
    throw Error(cfg.source + ": family '" + cfg.family + "' needs the '" + ext + "' config fields, written by plugin '" +
                plugin + "' (libaiconf_" + plugin + ".so), which is not loaded");
}

}  // namespace

std::string DeepseekShape::gemm_type() const {
  if (weight_quant == "fp8_block" || weight_quant == "fp8" || weight_quant == "nvfp4") return weight_quant;
  return "bfloat16";
}

DeepseekShape read_shape(const ModelConfig& cfg, bool dsa) {
  DeepseekShape s;
  require(cfg, "deepseek", "deepseek");
  if (dsa) {
    require(cfg, "sparse_mla", "sparse_mla");
    require(cfg, "dsa", "dsa_indexer");
    s.mla = plugins::mla_dims_from(cfg, "sparse_mla");
    s.dsa = true;
    s.index_n_heads = cfg.integer("dsa", "index_n_heads");
    s.index_head_dim = cfg.integer("dsa", "index_head_dim");
    s.index_topk = cfg.integer("dsa", "index_topk");
    s.index_cache_bytes = double(cfg.integer_or("dsa", "index_cache_bytes_per_token", s.index_head_dim + 4));
  } else {
    require(cfg, "mla", "mla");
    s.mla = plugins::mla_dims_from(cfg, "mla");
  }
  s.architecture = cfg.core.architecture;
  s.layers = cfg.core.num_hidden_layers;
  s.vocab = cfg.core.vocab_size;
  s.intermediate = cfg.core.intermediate_size;
  s.tied_embeddings = cfg.core.tie_word_embeddings;
  s.torch_dtype = cfg.core.torch_dtype;
  // The moe plugin's extension first (it normalizes names across families); the raw DeepSeek
  // fields otherwise, so the builders work without that plugin.
  s.experts = cfg.integer_or("moe", "num_experts", cfg.integer("deepseek", "n_routed_experts"));
  if (s.experts > 0) {
    s.experts_per_tok = cfg.integer_or("moe", "num_experts_per_tok", cfg.integer_or("deepseek", "num_experts_per_tok", 0));
    s.moe_intermediate = cfg.integer_or("moe", "moe_intermediate_size", cfg.integer_or("deepseek", "moe_intermediate_size", 0));
  }
  s.shared_experts = cfg.integer_or("moe", "num_shared_experts", cfg.integer("deepseek", "n_shared_experts"));
  s.first_k_dense = cfg.integer_or("moe", "first_k_dense", cfg.integer("deepseek", "first_k_dense_replace"));
  s.moe_layer_freq = cfg.integer_or("moe", "moe_layer_freq", cfg.integer("deepseek", "moe_layer_freq"));
  s.mtp_layers = cfg.integer("deepseek", "num_nextn_predict_layers");
  s.weight_quant = cfg.text("deepseek", "weight_quant");
  if (s.layers <= 0 || s.mla.hidden_size <= 0 || s.vocab <= 0)
    throw Error(cfg.source + ": num_hidden_layers, hidden_size and vocab_size must be positive for family " + cfg.family);
  for (std::int64_t i = 0; i < s.layers; ++i) {
    // DeepSeek's rule: MoE from first_k_dense_replace on, every moe_layer_freq-th layer.
    const bool moe = s.experts > 0 && i >= s.first_k_dense && i % s.moe_layer_freq == 0;
    (moe ? s.moe_layers : s.dense_layers).push_back(i);
  }
  if (!s.dense_layers.empty() && s.intermediate <= 0)
    throw Error(cfg.source + ": $.intermediate_size: expected a positive width for the " + std::to_string(s.dense_layers.size()) +
                " dense MLP layers");
  return s;
}

std::string layer_set_label(const std::vector<std::int64_t>& layers, std::int64_t total) {
  if (layers.empty()) return "layers{}";
  if (layers.back() - layers.front() + 1 == std::int64_t(layers.size()))
    return "layers[" + std::to_string(layers.front()) + ".." + std::to_string(layers.back()) + "]";
  return "layers{" + std::to_string(layers.size()) + " of " + std::to_string(total) + "}";
}

}  // namespace aiconf::deepseek
