// Built without CUDA (or without the sparse MLA kernels): the plugin then offers operations,
// modules and collectors only.
#include "mla_mock_layers.h"

namespace aiconf::mla {
void register_mla_mock_layers(Registrar&) {}
}  // namespace aiconf::mla
