#pragma once
// The moe config parser (extension "moe", normalized names) and the moe_gqa detection rule.
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::moe {

inline constexpr const char* kMoeGqaFamily = "moe_gqa";

/// Writes, whatever the checkpoint calls them: num_experts (n_routed_experts | num_experts |
/// num_local_experts), num_experts_per_tok, moe_intermediate_size (moe_intermediate_size, else
/// intermediate_size as in Mixtral), num_shared_experts (n_shared_experts, default 0),
/// first_k_dense (first_k_dense_replace, default 0), moe_layer_freq (moe_layer_freq |
/// decoder_sparse_step, default 1) and num_moe_layers (derived).
class MoeConfigParser final : public ConfigParserBase {
public:
  MoeConfigParser() : ConfigParserBase("moe", "moe", {"deepseek_v3", "deepseek_v32", kMoeGqaFamily}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

/// MoE layers among `layers`, from layer first_k_dense on, every freq-th: DeepSeek counts layer i
/// when i % freq == 0, Qwen/Mixtral (`deepseek_style` false) when (i + 1) % freq == 0.
std::int64_t count_moe_layers(std::int64_t layers, std::int64_t first_k_dense, std::int64_t freq, bool deepseek_style);

/// Claims configs nobody mapped that have routed experts and GQA attention (no MLA fields).
class MoeGqaDetectionRule final : public Releasable<DetectionRule> {
public:
  const char* family() const noexcept override { return kMoeGqaFamily; }
  const char* description() const noexcept override {
    return "MoE decoder with GQA attention: num_experts_per_tok and num_experts or num_local_experts present, no kv_lora_rank";
  }
  bool matches(const ConfigView& json) const noexcept override;
};

}  // namespace aiconf::moe
