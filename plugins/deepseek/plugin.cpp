// Entry of the deepseek plugin: model builders for DeepSeek-V3 (dense MLA) and V3.2 (DSA).
#include <aiconf/plugin/abi.h>

#include "deepseek_builder.h"
#include "deepseek_config.h"

namespace {
void register_deepseek(aiconf::Registrar& r) {
  aiconf::throw_if_error(r.add_config_parser(new aiconf::deepseek::DeepseekConfigParser));
  aiconf::deepseek::register_deepseek_builders(r);
}
}  // namespace

AICONF_PLUGIN("deepseek", "0.1.0", "DeepSeek-V3/R1 and V3.2 model builders (parameters, caches, per-GPU step op lists)",
              register_deepseek)
