// Entry of the mla plugin: dense multi-head latent attention (DeepSeek-V3/R1, Kimi K2).
#include <aiconf/plugin/abi.h>

#include "mla_collectors.h"
#include "mla_config.h"
#include "mla_mock_layers.h"
#include "mla_module.h"
#include "mla_ops.h"

namespace {
void register_mla(aiconf::Registrar& r) {
  using namespace aiconf::mla;
  // Kimi K2 ships with this architecture name too.
  aiconf::throw_if_error(r.add_arch_mapping("DeepseekV3ForCausalLM", kFamily));
  aiconf::throw_if_error(r.add_config_parser(new MlaConfigParser));
  register_mla_operations(r);
  register_mla_modules(r);
  register_mla_collectors(r);
  register_mla_mock_layers(r);  // none without CUDA
}
}  // namespace

AICONF_PLUGIN("mla", "0.1.0", "dense multi-head latent attention: context (MHA mode), generation (absorbed), BMMs, modules",
              register_mla)
