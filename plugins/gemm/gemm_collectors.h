#pragma once
#include <aiconf/plugin/registrar.h>

#include <cstdint>
#include <vector>

namespace aiconf::gemm_plugin {
/// The m values of the standard sweep: every m up to 16, multiples of 16 to 256, of 256 to 4096,
/// then 6144..16384; each power of two from 32 also with m+1 (the tile-quantization step).
std::vector<std::int64_t> gemm_m_values(bool quick);
/// Registers the gemm_perf collector (mock layer "gemm").
void register_gemm_collectors(Registrar& r);
}  // namespace aiconf::gemm_plugin
