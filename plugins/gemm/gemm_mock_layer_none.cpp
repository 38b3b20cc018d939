// Built instead of the CUDA mock layer where no CUDA toolkit (or no GEMM kernel library) was found.
#include "gemm_mock_layer.h"

namespace aiconf::gemm_plugin {
void register_gemm_mock_layer(Registrar&) {}
}  // namespace aiconf::gemm_plugin
