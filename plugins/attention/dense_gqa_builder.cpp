// dense_gqa: parameter counts and the per-GPU operation list of one forward step.
#include "dense_gqa_builder.h"

#include <aiconf_plugins/gqa_layers.h>

namespace aiconf::attention {
using namespace aiconf::plugins;

ModelSummary DenseGqaBuilder::summary(const ModelConfig& cfg) const {
  require_gqa_fields(cfg);
  const CoreFields& c = cfg.core;
  if (c.intermediate_size <= 0) throw Error(cfg.source + ": intermediate_size: expected a positive integer for a dense model");
  const double mlp = 3.0 * c.hidden_size * c.intermediate_size;  // gate, up, down
  ModelSummary s;
  s.parameters = embedding_params(c) + c.num_hidden_layers * (gqa_attention_params(c) + mlp);
  s.active_parameters = s.parameters;
  s.weight_bytes = s.parameters * weight_bytes_per_param(c);
  s.kv_bytes_per_token_per_layer = gqa_kv_bytes_per_token(c);
  s.attention_layers = c.num_hidden_layers;
  s.notes = std::string("embedding") + (c.tie_word_embeddings ? " (tied lm_head)" : " + lm_head") +
            " + layers x (q/k/v/o + gate/up/down + 2 RMSNorm); KV cache 2 x kv_heads x head_dim x 2 B (bf16)";
  return s;
}

Model DenseGqaBuilder::step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const {
  require_gqa_fields(cfg);
  const GqaStep s = gqa_step(cfg, par, shape);
  Model m;
  add_embedding(m, cfg, s);
  add_gqa_attention(m, cfg, par, shape, s, s.layers);
  add_dense_mlp(m, cfg, par, s, cfg.core.intermediate_size, s.layers, "layer");
  add_head(m, cfg, par, shape, s);
  return m;
}

bool DenseGqaDetectionRule::matches(const ConfigView& json) const noexcept {
  for (const char* key : {"hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size"})
    if (!json.has(key)) return false;
  for (const char* key : {"num_experts", "num_local_experts", "n_routed_experts", "kv_lora_rank"})
    if (json.has(key)) return false;
  return true;
}

}  // namespace aiconf::attention
