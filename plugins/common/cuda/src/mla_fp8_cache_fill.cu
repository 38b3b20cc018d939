// Random FlashMLA FP8 cache rows for the MLA / sparse MLA mock layers (see mla_fp8_cache_fill.h).
#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/mla_fp8_cache_fill.h>
#include <aiconf_plugins/random_fill.h>

#include <cuda_bf16.h>

namespace aiconf::plugins {

namespace {

// The e4m3 bytes start random; scales and rope are rewritten with sane values.
__global__ void fix_fp8_rows(std::uint8_t* cache, std::int64_t rows) {
  for (std::int64_t r = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; r < rows; r += std::int64_t(gridDim.x) * blockDim.x) {
    std::uint8_t* row = cache + r * kMlaFp8CacheRowBytes;
    float* scales = reinterpret_cast<float*>(row + 512);
    for (int i = 0; i < 4; ++i) scales[i] = 0.01f + 0.005f * ((r + i) % 7);
    __nv_bfloat16* rope = reinterpret_cast<__nv_bfloat16*>(row + 528);
    for (int i = 0; i < 64; ++i) rope[i] = __float2bfloat16(((r * 64 + i) % 97) / 97.f - 0.5f);
  }
}

}  // namespace

void fill_mla_fp8_cache(void* cache, std::int64_t rows, std::uint64_t seed, cudaStream_t stream) {
  fill_uniform_fp8(cache, static_cast<std::size_t>(rows * kMlaFp8CacheRowBytes), seed, -64.f, 64.f, stream);
  fix_fp8_rows<<<1024, 256, 0, stream>>>(static_cast<std::uint8_t*>(cache), rows);
  AICONF_CUDA_CHECK(cudaGetLastError());
}

}  // namespace aiconf::plugins
