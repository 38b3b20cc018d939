#include <aiconf_plugins/cuda_check.h>
#include <aiconf_plugins/random_fill.h>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace aiconf::plugins {

namespace {

__host__ __device__ inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__host__ __device__ inline float uniform(std::uint64_t seed, std::uint64_t i, float lo, float hi) {
  // 24 random bits -> [0, 1): exact in fp32.
  const float u = static_cast<float>(splitmix64(seed * 0x100000001B3ull + i) >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

template <class Store>
__global__ void fill_kernel(std::size_t n, std::uint64_t seed, float lo, float hi, Store store) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    store(i, uniform(seed, i, lo, hi));
}

template <class Store>
void launch_fill(std::size_t n, std::uint64_t seed, float lo, float hi, Store store, cudaStream_t stream) {
  if (n == 0) return;
  const int threads = 256;
  const std::size_t blocks = (n + threads - 1) / threads;
  fill_kernel<<<static_cast<unsigned>(blocks < 65536 ? blocks : 65536), threads, 0, stream>>>(n, seed, lo, hi, store);
  AICONF_CUDA_CHECK(cudaGetLastError());
}

struct StoreF32 {
  float* p;
  __device__ void operator()(std::size_t i, float v) const { p[i] = v; }
};
struct StoreBF16 {
  __nv_bfloat16* p;
  __device__ void operator()(std::size_t i, float v) const { p[i] = __float2bfloat16(v); }
};
struct StoreFP8 {
  __nv_fp8_e4m3* p;
  // Saturating conversion: never produces the NaN encoding.
  __device__ void operator()(std::size_t i, float v) const { p[i] = __nv_fp8_e4m3(v); }
};

}  // namespace

float random_uniform(std::uint64_t seed, std::uint64_t i, float lo, float hi) { return uniform(seed, i, lo, hi); }

void fill_uniform_f32(float* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream) {
  launch_fill(n, seed, lo, hi, StoreF32{dst}, stream);
}
void fill_uniform_bf16(void* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream) {
  launch_fill(n, seed, lo, hi, StoreBF16{static_cast<__nv_bfloat16*>(dst)}, stream);
}
void fill_uniform_fp8(void* dst, std::size_t n, std::uint64_t seed, float lo, float hi, cudaStream_t stream) {
  launch_fill(n, seed, lo, hi, StoreFP8{static_cast<__nv_fp8_e4m3*>(dst)}, stream);
}
void fill_bytes(void* dst, std::size_t n, unsigned char value, cudaStream_t stream) {
  AICONF_CUDA_CHECK(cudaMemsetAsync(dst, value, n, stream));
}

}  // namespace aiconf::plugins
