#pragma once
// The sparse_mla config parser: the MLA fields of DSA models (extension "sparse_mla").
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::sparse_mla {

/// The DSA model family (the dsa_indexer plugin maps and detects it).
inline constexpr const char* kFamily = "deepseek_v32";

/// Reads kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim, q_lora_rank plus the core
/// num_attention_heads and hidden_size, and writes the MQA-mode widths sparse MLA runs at:
/// qk_head_dim_mqa = kv_lora_rank + qk_rope_head_dim, v_head_dim_mqa = kv_lora_rank.
class SparseMlaConfigParser final : public ConfigParserBase {
public:
  SparseMlaConfigParser() : ConfigParserBase("sparse_mla", "sparse_mla", {kFamily}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

}  // namespace aiconf::sparse_mla
