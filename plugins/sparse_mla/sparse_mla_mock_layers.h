#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::sparse_mla {
/// Registers the CUDA mock layers (sparse MLA context / generation); registers nothing in a
/// build without CUDA.
void register_sparse_mla_mock_layers(Registrar& r);
/// Registers the mock layers of the whole DSA attention block (dsa_module_mock_layer.cu).
void register_dsa_module_mock_layers(Registrar& r);
}  // namespace aiconf::sparse_mla
