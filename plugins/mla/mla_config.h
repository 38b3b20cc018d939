#pragma once
// The mla config parser (extension "mla").
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::mla {

/// Dense-MLA models (DeepSeek-V3, R1, Kimi K2: all DeepseekV3ForCausalLM).
inline constexpr const char* kFamily = "deepseek_v3";
/// DSA models have the same MLA fields; parsing them here too lets the deepseek_v3 builder run a
/// DSA model with dense MLA (the "dense MLA instead of DSA" comparison).
inline constexpr const char* kDsaFamily = "deepseek_v32";

/// Reads kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim, q_lora_rank (optional:
/// null means no query latent) plus num_attention_heads and hidden_size.
class MlaConfigParser final : public ConfigParserBase {
public:
  MlaConfigParser() : ConfigParserBase("mla", "mla", {kFamily, kDsaFamily}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

}  // namespace aiconf::mla
