#pragma once
/// bf16 -> fp8 e4m3 quantization with one fp32 scale per 1x128 group of each token (row), the
/// activation format of DeepSeek-V3 block-scaled GEMMs, written straight into the scale layout
/// GemmRunner expects for GemmDtype::kFp8Block (token-major, ld = act_scale_ld(m)).

#include <aiconf/gemm/gemm_types.h>

#include <cuda_runtime_api.h>

#include <cstdint>

namespace aiconf::gemm {

/// Largest finite e4m3 magnitude.
inline constexpr float kE4m3Max = 448.0f;

/// Quantizes x [m,k] (row-major bf16, `__nv_bfloat16` bits) into q [m,k] (row-major e4m3 bytes)
/// and scales[g * act_scale_ld(m) + i] = amax(x[i, 128g : 128g+128]) / 448 (a tiny floor keeps
/// all-zero groups finite), so that x ~= q * scale. The last group may be shorter than 128 when
/// k % 128 != 0. Padding entries of the scale tensor (rows m..act_scale_ld(m)-1) are written as 1.
/// Requirements: k % 8 == 0 and 16-byte aligned x and q (vector loads). Asynchronous on `stream`;
/// returns the launch status. Thread-safe.
cudaError_t quantize_fp8_per_token_group(const void* x, std::uint8_t* q, float* scales, std::int64_t m,
                                         std::int64_t k, cudaStream_t stream) noexcept;

}  // namespace aiconf::gemm
