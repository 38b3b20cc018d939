#pragma once
/// \file random_fill.h
/// Device-side random fills for dummy weights and inputs (never zeros: zeros hide unwritten outputs
/// and run faster than real data). A counter-based hash of (seed, index), so a fill is reproducible
/// and a host reference can regenerate any element with the same functions below.

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace aiconf::plugins {

/// Uniform float in [lo, hi) for element i of a fill with `seed` (same on host and device).
float random_uniform(std::uint64_t seed, std::uint64_t i, float lo, float hi);

/// fp32 values uniform in [lo, hi).
void fill_uniform_f32(float* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream);
/// bf16 values uniform in [lo, hi) (stored as raw 16-bit patterns).
void fill_uniform_bf16(void* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream);
/// FP8 e4m3 values uniform in [lo, hi) (raw bytes; never NaN).
void fill_uniform_fp8(void* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream);
/// Fills n bytes with a byte value (e.g. 0xFF: NaN poison for float outputs).
void fill_bytes(void* dst, std::size_t n, unsigned char value, cudaStream_t stream);

}  // namespace aiconf::plugins
