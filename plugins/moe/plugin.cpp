// Entry of the moe plugin: the "moe" config extension, routed experts and the moe_gqa family.
#include <aiconf/plugin/abi.h>

#include "moe_collectors.h"
#include "moe_config.h"
#include "moe_gqa_builder.h"
#include "moe_mock_layer.h"
#include "moe_op.h"

namespace {
void register_moe(aiconf::Registrar& r) {
  using namespace aiconf::moe;
  for (const char* arch : {"Qwen3MoeForCausalLM", "MixtralForCausalLM"})
    aiconf::throw_if_error(r.add_arch_mapping(arch, kMoeGqaFamily));
  aiconf::throw_if_error(r.add_detection_rule(new MoeGqaDetectionRule));
  aiconf::throw_if_error(r.add_config_parser(new MoeConfigParser));
  register_moe_operation(r);
  aiconf::throw_if_error(r.add_model_builder(new MoeGqaBuilder));
  register_moe_collectors(r);
  register_moe_mock_layer(r);  // none in a build without CUDA
}
}  // namespace

AICONF_PLUGIN("moe", "0.1.0", "Mixture of experts: config extension 'moe', routed experts (moe_perf), moe_gqa family",
              register_moe)
