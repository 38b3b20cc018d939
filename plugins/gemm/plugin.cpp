// Entry of the gemm plugin: linear layers (gemm_perf) and their cuBLASLt mock layer.
#include <aiconf/plugin/abi.h>

#include "gemm_collectors.h"
#include "gemm_mock_layer.h"
#include "gemm_op.h"

namespace {
void register_gemm(aiconf::Registrar& r) {
  using namespace aiconf::gemm_plugin;
  register_gemm_operation(r);
  register_gemm_collectors(r);
  register_gemm_mock_layer(r);  // none in a build without CUDA; no CUDA call happens here
}
}  // namespace

AICONF_PLUGIN("gemm", "0.1.0", "GEMM (linear layers): bfloat16, fp8 per-tensor and fp8 block-scaled, cuBLASLt mock layer",
              register_gemm)
