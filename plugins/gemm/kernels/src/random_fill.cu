// Counter-based random fills: value i depends only on (seed, i), not on the launch shape.
#include <aiconf/gemm/random_fill.h>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace aiconf::gemm {
namespace {

// splitmix64 finalizer: cheap, well mixed, stateless.
__device__ __forceinline__ std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ float uniform01(std::uint64_t seed, std::int64_t i) {
  return static_cast<float>(mix(seed * 0x100000001B3ull ^ static_cast<std::uint64_t>(i)) >> 40) * (1.0f / 16777216.0f);
}

__global__ void fill_bf16_kernel(__nv_bfloat16* dst, std::int64_t n, std::uint64_t seed, float lo, float hi) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = __float2bfloat16(lo + (hi - lo) * uniform01(seed, i));
}

__global__ void fill_fp8_kernel(std::uint8_t* dst, std::int64_t n, std::uint64_t seed, float amax) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float v = amax * (2.0f * uniform01(seed, i) - 1.0f);
    dst[i] = __nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3);
  }
}

__global__ void fill_f32_kernel(float* dst, std::int64_t n, std::uint64_t seed, float lo, float hi) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = lo + (hi - lo) * uniform01(seed, i);
}

unsigned grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

}  // namespace

cudaError_t fill_random_bf16(void* dst, std::int64_t count, std::uint64_t seed, float lo, float hi,
                             cudaStream_t stream) noexcept {
  if (count <= 0) return cudaSuccess;
  fill_bf16_kernel<<<grid_for(count), 256, 0, stream>>>(static_cast<__nv_bfloat16*>(dst), count, seed, lo, hi);
  return cudaGetLastError();
}

cudaError_t fill_random_fp8(std::uint8_t* dst, std::int64_t count, std::uint64_t seed, float amax,
                            cudaStream_t stream) noexcept {
  if (count <= 0) return cudaSuccess;
  fill_fp8_kernel<<<grid_for(count), 256, 0, stream>>>(dst, count, seed, amax);
  return cudaGetLastError();
}

cudaError_t fill_random_f32(float* dst, std::int64_t count, std::uint64_t seed, float lo, float hi,
                            cudaStream_t stream) noexcept {
  if (count <= 0) return cudaSuccess;
  fill_f32_kernel<<<grid_for(count), 256, 0, stream>>>(dst, count, seed, lo, hi);
  return cudaGetLastError();
}

}  // namespace aiconf::gemm
