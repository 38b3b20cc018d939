#pragma once
// The `moe_gqa` model builder: GQA attention with routed-expert MLPs (Qwen3-MoE, Mixtral).
#include <aiconf/plugin/plugin_base.h>

namespace aiconf::moe {

class MoeGqaBuilder final : public ModelBuilderBase {
public:
  MoeGqaBuilder()
      : ModelBuilderBase("moe_gqa", "MoE decoder: GQA attention, router + routed (and shared) gated experts (Qwen3-MoE, Mixtral)") {}

protected:
  ModelSummary summary(const ModelConfig& cfg) const override;
  Model step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const override;
};

}  // namespace aiconf::moe
