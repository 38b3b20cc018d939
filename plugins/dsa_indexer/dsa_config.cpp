#include "dsa_config.h"

namespace aiconf::dsa {

void DsaConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  const auto heads = take_int(json, cfg, "index_n_heads", 1, 4096);
  const auto head_dim = take_int(json, cfg, "index_head_dim", 1, 4096);
  const auto topk = take_int(json, cfg, "index_topk", 1, std::int64_t(1) << 24);
  take_int(json, cfg, "q_lora_rank", 1, 1 << 20);
  const auto rope = take_int(json, cfg, "qk_rope_head_dim", 0, 4096);
  (void)heads;
  if (rope >= head_dim)
    throw Error(json.source() + ": " + json.path_of("index_head_dim") + ": expected more than qk_rope_head_dim (" +
                std::to_string(rope) + ") since RoPE covers only part of each indexer head, found " + std::to_string(head_dim));
  if (cfg.core.max_position_embeddings > 0 && topk > cfg.core.max_position_embeddings)
    throw Error(json.source() + ": " + json.path_of("index_topk") + ": expected at most max_position_embeddings (" +
                std::to_string(cfg.core.max_position_embeddings) + "), found " + std::to_string(topk));
  // The index cache holds one fp8 key of index_head_dim bytes plus one fp32 scale per token and layer.
  cfg.set("dsa", "index_cache_bytes_per_token", head_dim + 4);
}

bool DsaDetectionRule::matches(const ConfigView& json) const noexcept {
  for (const char* key : {"index_n_heads", "index_head_dim", "index_topk", "kv_lora_rank", "qk_rope_head_dim"})
    if (!json.has(key)) return false;
  return true;
}

}  // namespace aiconf::dsa
