#include "deepseek_builder.h"

#include "deepseek_config.h"
#include "deepseek_shape.h"
#include "deepseek_step.h"
#include "deepseek_summary.h"

#include <aiconf/plugin/plugin_base.h>

namespace aiconf::deepseek {

namespace {

/// One builder for both families: they differ only in the attention block (`dsa`).
class DeepseekBuilder final : public ModelBuilderBase {
public:
  DeepseekBuilder(const char* family, bool dsa, const char* description) : ModelBuilderBase(family, description), dsa_(dsa) {}

protected:
  ModelSummary summary(const ModelConfig& cfg) const override { return summarize_shape(read_shape(cfg, dsa_)); }
  Model step(const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape) const override {
    return build_step(read_shape(cfg, dsa_), par, shape);
  }

private:
  bool dsa_;
};

}  // namespace

void register_deepseek_builders(Registrar& r) {
  throw_if_error(r.add_model_builder(new DeepseekBuilder(
      kV3Family, false, "DeepSeek-V3/R1-style MoE with dense MLA attention (mla_*_module per layer)")));
  throw_if_error(r.add_model_builder(new DeepseekBuilder(
      kV32Family, true, "DeepSeek-V3.2-style MoE with DSA attention: indexer, top-k, sparse MLA (dsa_*_module per layer)")));
}

}  // namespace aiconf::deepseek
