// Per-tensor FP8 quantization for the fp8 absorption BMMs (see fp8_per_tensor.h). Each thread
// handles chunks of 8 values (16 bytes of bf16 in, 8 bytes of e4m3 out).
#include "fp8_per_tensor.h"

#include <aiconf_plugins/block_absmax.cuh>

#include <cuda_bf16.h>
#include <cuda_fp8.h>

namespace aiconf::mla {
namespace {

constexpr int kThreads = 256;
constexpr float kE4m3Max = 448.f;

struct Chunk {
  std::int64_t r, h, c;  // row, head, first column (multiple of 8)
};

__device__ __forceinline__ Chunk chunk_of(const StridedBf16& s, std::int64_t i) {
  const std::int64_t per_head = s.k / 8, rh = i / per_head;
  return {rh / s.heads, rh % s.heads, (i % per_head) * 8};
}

__device__ __forceinline__ void load8(const StridedBf16& s, const Chunk& ch, float v[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(static_cast<const __nv_bfloat16*>(s.x) + ch.r * s.ld + ch.h * s.head_stride + ch.c);
  const __nv_bfloat162* b = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float2 f = __bfloat1622float2(b[j]);
    v[2 * j] = f.x;
    v[2 * j + 1] = f.y;
  }
}

__global__ void __launch_bounds__(kThreads) amax_kernel(const StridedBf16 s, float* amax) {
  const std::int64_t n = s.rows * s.heads * (s.k / 8);
  float m = 0.f;
  for (std::int64_t i = blockIdx.x * std::int64_t(kThreads) + threadIdx.x; i < n; i += std::int64_t(gridDim.x) * kThreads) {
    float v[8];
    load8(s, chunk_of(s, i), v);
#pragma unroll
    for (int j = 0; j < 8; ++j) m = fmaxf(m, fabsf(v[j]));
  }
  aiconf::plugins::block_absmax_into<kThreads>(m, amax);
}

__global__ void __launch_bounds__(kThreads) quantize_kernel(const StridedBf16 s, const float* amax, std::uint8_t* q, float* scale) {
  const float sc = fmaxf(*amax, 1e-12f) / kE4m3Max;
  if (blockIdx.x == 0 && threadIdx.x == 0) *scale = sc;
  const std::int64_t n = s.rows * s.heads * (s.k / 8);
  for (std::int64_t i = blockIdx.x * std::int64_t(kThreads) + threadIdx.x; i < n; i += std::int64_t(gridDim.x) * kThreads) {
    const Chunk ch = chunk_of(s, i);
    float v[8];
    load8(s, ch, v);
    unsigned char out[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) out[j] = __nv_cvt_float_to_fp8(v[j] / sc, __NV_SATFINITE, __NV_E4M3);
    *reinterpret_cast<uint2*>(q + (ch.h * s.rows + ch.r) * s.k + ch.c) = *reinterpret_cast<const uint2*>(out);
  }
}

unsigned grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

}  // namespace

cudaError_t quantize_fp8_per_tensor(const StridedBf16& src, float* amax, std::uint8_t* q, float* scale, cudaStream_t stream) {
  // 16-byte loads of 8 values: k, ld and head_stride must keep every chunk aligned.
  if (src.k % 8 != 0 || src.ld % 8 != 0 || src.head_stride % 8 != 0 || reinterpret_cast<std::uintptr_t>(src.x) % 16 != 0)
    return cudaErrorInvalidValue;
  const std::int64_t n = src.rows * src.heads * (src.k / 8);
  cudaError_t e = cudaMemsetAsync(amax, 0, sizeof(float), stream);
  if (e != cudaSuccess) return e;
  amax_kernel<<<grid_for(n), kThreads, 0, stream>>>(src, amax);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;
  quantize_kernel<<<grid_for(n), kThreads, 0, stream>>>(src, amax, q, scale);
  return cudaGetLastError();
}

}  // namespace aiconf::mla
