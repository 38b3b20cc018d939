// Built while no mock layer wraps the kernels/ library (and always without CUDA): the plugin then
// offers operations and collectors only.
#include "sparse_mla_mock_layers.h"

namespace aiconf::sparse_mla {
void register_sparse_mla_mock_layers(Registrar&) {}
}  // namespace aiconf::sparse_mla
