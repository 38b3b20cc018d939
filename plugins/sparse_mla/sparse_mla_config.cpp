#include "sparse_mla_config.h"

#include <aiconf_plugins/mla_dims.h>

namespace aiconf::sparse_mla {

void SparseMlaConfigParser::read(const ConfigView& json, ModelConfig& cfg) const {
  // DSA's indexer projects the query latent (wq_b), so a DSA model must have one.
  plugins::read_mla_fields(json, cfg, "sparse_mla", /*require_q_lora=*/true);
}

}  // namespace aiconf::sparse_mla
