// Built while no dense-MLA mock layer exists (and always without CUDA).
#include "mla_mock_layers.h"

namespace aiconf::mla {
void register_mla_mock_layers(Registrar&) {}
}  // namespace aiconf::mla
