#pragma once
// The DSA indexer's operations: FP8 indexer logits (context and generation) and top-k selection.
#include <aiconf/plugin/registrar.h>

namespace aiconf::dsa {

/// Registers dsa_indexer_logits_{context,generation} and dsa_topk_{context,generation}.
void register_indexer_operations(Registrar& r);

}  // namespace aiconf::dsa
