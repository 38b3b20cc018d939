// Entry of the dsa_indexer plugin: the DeepSeek Sparse Attention lightning indexer and its top-k.
#include <aiconf/plugin/abi.h>

#include "dsa_config.h"
#include "indexer_ops.h"
#include "indexer_collectors.h"
#include "indexer_mock_layers.h"

namespace {
void register_dsa_indexer(aiconf::Registrar& r) {
  using namespace aiconf::dsa;
  aiconf::throw_if_error(r.add_arch_mapping("DeepseekV32ForCausalLM", kFamily));
  aiconf::throw_if_error(r.add_detection_rule(new DsaDetectionRule));
  aiconf::throw_if_error(r.add_config_parser(new DsaConfigParser));
  register_indexer_operations(r);
  register_indexer_collectors(r);
  register_indexer_mock_layers(r);  // none in a build without CUDA
}
}  // namespace

AICONF_PLUGIN("dsa_indexer", "0.1.0", "DeepSeek Sparse Attention: lightning indexer logits (FP8) and top-k selection",
              register_dsa_indexer)
