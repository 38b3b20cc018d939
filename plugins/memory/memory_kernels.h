#pragma once
/// \file memory_kernels.h
/// Vectorized CUDA kernels of the memory-bound operations (16-byte loads and stores; rows of
/// `hidden` elements, row-major, bf16 = raw 16-bit words, fp8 = e4m3fn bytes). Every launcher
/// checks its launch and throws aiconf::Error; none synchronizes (all are capturable in a graph).
/// Widths must be multiples of 8 elements (16 bytes of bf16), checked by the mock layers.

#include <cuda_runtime_api.h>

#include <cstdint>

namespace aiconf::memory {

/// out[t] = table[ids[t]] for t < tokens (bf16 rows).
void launch_embedding(const std::uint16_t* table, const std::int32_t* ids, std::uint16_t* out, std::int64_t tokens,
                      std::int64_t hidden, cudaStream_t stream);
/// out = x * w / sqrt(mean(x^2) + eps), per row, in fp32 (bf16 in and out).
void launch_rms_norm(const std::uint16_t* x, const std::uint16_t* w, std::uint16_t* out, std::int64_t tokens,
                     std::int64_t hidden, float eps, cudaStream_t stream);
/// out[t, :] = SiLU(in[t, :hidden]) * in[t, hidden:] (in is [tokens, 2 * hidden], bf16).
void launch_silu_mul(const std::uint16_t* in, std::uint16_t* out, std::int64_t tokens, std::int64_t hidden,
                     cudaStream_t stream);
/// Per 1x128 group of each row: scale = amax / 448 (1 when amax is 0), q = e4m3(x / scale)
/// saturated; scales are [tokens, ceil(hidden / 128)] fp32.
void launch_quantize_fp8(const std::uint16_t* in, std::uint8_t* q, float* scales, std::int64_t tokens, std::int64_t hidden,
                         cudaStream_t stream);
/// cache[slots[t]] = in[t] as bf16 (fp8 == false) or e4m3(in[t] / scale) saturated (fp8 == true).
void launch_kv_cache_write(const std::uint16_t* in, const std::int64_t* slots, void* cache, bool fp8, float scale,
                           std::int64_t tokens, std::int64_t hidden, cudaStream_t stream);
/// out = a + b (bf16, fp32 add).
void launch_add(const std::uint16_t* a, const std::uint16_t* b, std::uint16_t* out, std::int64_t elements, cudaStream_t stream);

/// Adds to *count the elements of `width` bytes (1, 2 or 4) of `data` whose bytes are all 0xFF:
/// the poison a verify run leaves where a kernel wrote nothing (never a value our kernels write).
void launch_count_poison(const void* data, std::int64_t elements, int width, unsigned long long* count, cudaStream_t stream);

}  // namespace aiconf::memory
