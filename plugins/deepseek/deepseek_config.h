#pragma once
// The deepseek config parser (extension "deepseek"): MoE layout fields as the raw config names
// them (the fallback when the moe plugin's "moe" extension is absent), MTP layers, and the
// checkpoint's weight precision from quantization_config.
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::deepseek {

inline constexpr const char* kV3Family = "deepseek_v3";
inline constexpr const char* kV32Family = "deepseek_v32";

/// Writes: n_routed_experts (0 = no MoE), num_experts_per_tok, moe_intermediate_size,
/// n_shared_experts, first_k_dense_replace, moe_layer_freq, num_nextn_predict_layers and
/// weight_quant ("fp8_block", "fp8", "nvfp4", "none" or "unsupported:<method>").
class DeepseekConfigParser final : public ConfigParserBase {
public:
  DeepseekConfigParser() : ConfigParserBase("deepseek", "deepseek", {kV3Family, kV32Family}) {}

protected:
  void read(const ConfigView& json, ModelConfig& cfg) const override;
};

}  // namespace aiconf::deepseek
