#include "mla_config.h"

#include <aiconf_plugins/mla_dims.h>

namespace aiconf::mla {

void MlaConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  plugins::read_mla_fields(json, cfg, "mla", /*require_q_lora=*/false);
}

}  // namespace aiconf::mla
