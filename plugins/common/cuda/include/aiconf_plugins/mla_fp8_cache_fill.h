#pragma once
/// \file mla_fp8_cache_fill.h
/// Random contents for a latent KV cache in FlashMLA's FP8 row layout (656 bytes a row: 512 e4m3
/// values, 4 fp32 scales, one per 128 values, then 64 bf16 rope values), as the MLA and sparse MLA
/// mock layers need it. Random bytes alone would give absurd scales and NaN/huge rope values, so
/// the scales and rope part of every row are rewritten with sane, never-zero values.

#include <cstdint>

#include <cuda_runtime_api.h>

namespace aiconf::plugins {

/// Bytes of one FlashMLA FP8 latent cache row (kv_lora_rank 512, qk_rope_head_dim 64).
inline constexpr std::int64_t kMlaFp8CacheRowBytes = 656;

/// Fills `rows` FP8 cache rows at `cache` (rows * kMlaFp8CacheRowBytes bytes) on `stream`: e4m3
/// bytes uniform in [-64, 64) from `seed`, scales 0.01 to 0.04, rope values in [-0.5, 0.5).
/// Throws aiconf::Error when a launch fails.
void fill_mla_fp8_cache(void* cache, std::int64_t rows, std::uint64_t seed, cudaStream_t stream);

}  // namespace aiconf::plugins
