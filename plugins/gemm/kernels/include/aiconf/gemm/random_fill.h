#pragma once
/// Deterministic random fills on the device for mock-layer operands ("dummy random weights").
/// Counter-based hash, so a (seed, index) pair always gives the same value on any grid size.
/// All functions are asynchronous on `stream`, return the launch status and are thread-safe.

#include <cuda_runtime_api.h>

#include <cstdint>

namespace aiconf::gemm {

/// bf16 values uniform in [lo, hi).
cudaError_t fill_random_bf16(void* dst, std::int64_t count, std::uint64_t seed, float lo, float hi,
                             cudaStream_t stream) noexcept;

/// e4m3 values: a uniform draw in [-amax, amax] rounded (saturating) to e4m3, never NaN.
cudaError_t fill_random_fp8(std::uint8_t* dst, std::int64_t count, std::uint64_t seed, float amax,
                            cudaStream_t stream) noexcept;

/// fp32 values uniform in [lo, hi) (scales).
cudaError_t fill_random_f32(float* dst, std::int64_t count, std::uint64_t seed, float lo, float hi,
                            cudaStream_t stream) noexcept;

}  // namespace aiconf::gemm
