#pragma once
#include <aiconf/plugin/registrar.h>

namespace aiconf::gemm_plugin {
/// Registers the cuBLASLt GEMM mock layer "gemm"; registers nothing in a build without CUDA.
void register_gemm_mock_layer(Registrar& r);
}  // namespace aiconf::gemm_plugin
