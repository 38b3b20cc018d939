// Simple sparse MLA forward on CUDA cores, fp32: one CTA per (token, head). Written for clarity, as
// an independent second implementation; it shares only the cache addressing with the fast path.
#include <cmath>
#include <cstdio>

#include <nvtx3/nvToolsExt.h>

#include "sparse_mla_common.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

constexpr int kSimpleThreads = 256;

/// Value `d` (0..575) of cache row `row` as the fast path sees it (FP8: dequantized, rounded to bf16).
__device__ __forceinline__ float kv_value(const SparseMlaParams& p, int64_t row, int d) {
  if (p.kv_format == KvCacheFormat::kBf16) {
    return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(p.kv_cache)[row * kDqk + d]);
  }
  const uint8_t* r = reinterpret_cast<const uint8_t*>(p.kv_cache) + row * kFp8RowBytes;
  if (d >= kDv) return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(r + kFp8LatentBytes + kFp8ScaleBytes)[d - kDv]);
  const float scale = reinterpret_cast<const float*>(r + kFp8LatentBytes)[d / 128];
  __nv_fp8_e4m3 v;
  v.__x = r[d];
  return __bfloat162float(__float2bfloat16_rn(static_cast<float>(v) * scale));
}

__global__ void __launch_bounds__(kSimpleThreads) sparse_mla_simple_kernel(const SparseMlaParams p) {
  extern __shared__ float sm[];
  float* q = sm;             // [576]
  float* score = sm + kDqk;  // [topk]
  __shared__ float red[kSimpleThreads / 32];
  const int token = blockIdx.x / p.num_heads, head = blockIdx.x % p.num_heads;
  const int seq = token / p.tokens_per_seq;
  const int len = p.topk_lengths ? min(max(p.topk_lengths[token], 0), p.topk) : p.topk;
  const int64_t th = static_cast<int64_t>(token) * p.num_heads + head;
  for (int d = threadIdx.x; d < kDqk; d += blockDim.x) q[d] = __bfloat162float(p.q[th * kDqk + d]);
  __syncthreads();

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int j = warp; j < len; j += kSimpleThreads / 32) {
    const int64_t row = kv_row_of(p, seq, key_of_slot(p, token, j));
    float acc = 0.f;
    if (row >= 0)
      for (int d = lane; d < kDqk; d += 32) acc += q[d] * kv_value(p, row, d);
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0) score[j] = row >= 0 ? acc * p.sm_scale : -INFINITY;
  }
  __syncthreads();

  float m = -INFINITY;
  for (int j = threadIdx.x; j < len; j += blockDim.x) m = fmaxf(m, score[j]);
  for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
  if (lane == 0) red[warp] = m;
  __syncthreads();
  m = -INFINITY;
  for (int w = 0; w < kSimpleThreads / 32; ++w) m = fmaxf(m, red[w]);
  __syncthreads();
  float l = 0.f;
  for (int j = threadIdx.x; j < len; j += blockDim.x) {
    const float e = m == -INFINITY ? 0.f : expf(score[j] - m);
    score[j] = e;
    l += e;
  }
  for (int o = 16; o > 0; o >>= 1) l += __shfl_xor_sync(0xffffffffu, l, o);
  if (lane == 0) red[warp] = l;
  __syncthreads();
  l = 0.f;
  for (int w = 0; w < kSimpleThreads / 32; ++w) l += red[w];

  for (int d = threadIdx.x; d < kDv; d += blockDim.x) {
    float acc = 0.f;
    for (int j = 0; j < len; ++j) {
      if (score[j] == 0.f) continue;
      const int64_t row = kv_row_of(p, seq, key_of_slot(p, token, j));
      acc += score[j] * kv_value(p, row, d);
    }
    p.out[th * kDv + d] = __float2bfloat16_rn(l > 0.f ? acc / l : 0.f);
  }
  if (p.lse != nullptr && threadIdx.x == 0) p.lse[th] = l > 0.f ? m + logf(l) : -INFINITY;
}

}  // namespace
}  // namespace aiconf::sparse_mla::detail

namespace aiconf::sparse_mla {

cudaError_t launch_sparse_mla_simple(const SparseMlaParams& p, cudaStream_t stream) {
  if (const char* why = sparse_mla_check(p)) {
    std::fprintf(stderr, "launch_sparse_mla_simple: %s\n", why);
    return cudaErrorInvalidValue;
  }
  if (p.num_tokens == 0) return cudaSuccess;
  const size_t smem = (detail::kDqk + static_cast<size_t>(p.topk)) * sizeof(float);
  cudaError_t err = cudaFuncSetAttribute(detail::sparse_mla_simple_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(smem));
  if (err != cudaSuccess) return err;
  nvtxRangePushA("sparse_mla_simple");
  detail::sparse_mla_simple_kernel<<<static_cast<unsigned>(static_cast<int64_t>(p.num_tokens) * p.num_heads),
                                     detail::kSimpleThreads, smem, stream>>>(p);
  err = cudaGetLastError();
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::sparse_mla
