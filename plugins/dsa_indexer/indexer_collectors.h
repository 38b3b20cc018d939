#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::dsa {
/// Registers the standard sweeps of the indexer logits and top-k tables.
void register_indexer_collectors(Registrar& r);
}  // namespace aiconf::dsa
