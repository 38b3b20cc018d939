// Built without CUDA (or without the GEMM kernels library): the plugin offers the operation and
// its collector only.
#include "moe_mock_layer.h"

namespace aiconf::moe {
void register_moe_mock_layer(Registrar&) {}
}  // namespace aiconf::moe
