#pragma once
// The DSA indexer's config parser (extension "dsa") and its detection rule.
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::dsa {

/// The family of DeepSeek-style models with DSA attention.
inline constexpr const char* kFamily = "deepseek_v32";

/// Reads index_n_heads, index_head_dim, index_topk and the MLA fields the indexer needs
/// (q_lora_rank feeds wq_b; qk_rope_head_dim is the rotary part of each indexer head).
class DsaConfigParser final : public ConfigParserBase {
public:
  DsaConfigParser() : ConfigParserBase("dsa_indexer", "dsa", {kFamily}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

/// Claims any config with the index_* fields and MLA fields, whatever its architecture name.
class DsaDetectionRule final : public Releasable<DetectionRule> {
public:
  const char* family() const noexcept override { return kFamily; }
  const char* description() const noexcept override {
    return "DSA model: index_n_heads, index_head_dim, index_topk and MLA fields (kv_lora_rank, qk_rope_head_dim) present";
  }
  bool matches(const ConfigView& json) const noexcept override;
};

}  // namespace aiconf::dsa
