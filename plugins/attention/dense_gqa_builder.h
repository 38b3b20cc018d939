#pragma once
// The `dense_gqa` model builder: Llama/Qwen/Mistral-style decoders (GQA attention + gated MLP).
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::attention {

inline constexpr const char* kDenseFamily = "dense_gqa";

class DenseGqaBuilder final : public ModelBuilderBase {
public:
  DenseGqaBuilder()
      : ModelBuilderBase(kDenseFamily, "dense decoder: GQA attention, gated SiLU MLP, RMSNorm (Llama, Qwen2/3, Mistral)") {}

protected:
  ModelSummary summary(const ModelConfig& cfg) const override;
  Model step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const override;
};

/// Claims configs nobody mapped that look like a dense GQA decoder: attention and MLP fields, and
/// neither MoE (num_experts, num_local_experts, n_routed_experts) nor MLA (kv_lora_rank) fields.
class DenseGqaDetectionRule final : public Releasable<DetectionRule> {
public:
  const char* family() const noexcept override { return kDenseFamily; }
  const char* description() const noexcept override {
    return "dense GQA decoder: hidden_size, num_attention_heads, intermediate_size present; no MoE or MLA fields";
  }
  bool matches(const ConfigView& json) const noexcept override;
};

}  // namespace aiconf::attention
