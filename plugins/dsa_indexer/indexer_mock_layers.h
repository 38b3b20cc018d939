#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::dsa {
/// Registers the CUDA mock layers (indexer logits, top-k); registers nothing in a build without CUDA.
void register_indexer_mock_layers(Registrar& r);
}  // namespace aiconf::dsa
