// Routing, permute, SiLU*up and combine kernels of the routed-expert mock layer (see moe_kernels.h).
// They are memory-bound helpers around the cuBLASLt expert GEMMs: rows are moved in 16-byte
// chunks of 8 bf16, one block per row, and fp8 block scales come from half-warp reductions (16
// lanes x 8 values = one 128-column group).
#include "moe_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <nvtx3/nvToolsExt.h>

#include <climits>
#include <cmath>

namespace aiconf::moe {

namespace {

constexpr int kRowThreads = 128;  // a multiple of 32: every warp runs the chunk loop in lockstep
constexpr int kMaxTopk = 64;

struct NvtxRange {
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
};

__device__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// One warp per token; lane l holds the scores of experts l, l + 32, ... (experts <= 1024).
__global__ void route_kernel(const __nv_bfloat16* logits, std::int64_t tokens, int experts, int topk, bool sigmoid,
                             const std::int32_t* forced, std::int32_t* router_ids, float* router_w, float* weights) {
  const int lane = threadIdx.x & 31;
  const std::int64_t t = blockIdx.x * std::int64_t(blockDim.x / 32) + threadIdx.x / 32;
  if (t >= tokens) return;  // whole warps leave together
  const __nv_bfloat16* row = logits + t * experts;
  float sc[32];
  float mx = -INFINITY;
#pragma unroll
  for (int i = 0; i < 32; ++i) {
    const int e = lane + 32 * i;
    sc[i] = e < experts ? __bfloat162float(row[e]) : -INFINITY;
    mx = fmaxf(mx, sc[i]);
  }
  if (sigmoid) {
#pragma unroll
    for (int i = 0; i < 32; ++i) sc[i] = lane + 32 * i < experts ? 1.f / (1.f + expf(-sc[i])) : -1.f;
  } else {
    mx = warp_max(mx);
    float sum = 0;
#pragma unroll
    for (int i = 0; i < 32; ++i) {
      sc[i] = lane + 32 * i < experts ? expf(sc[i] - mx) : 0.f;
      sum += sc[i];
    }
    const float inv = 1.f / warp_sum(sum);
#pragma unroll
    for (int i = 0; i < 32; ++i) sc[i] = lane + 32 * i < experts ? sc[i] * inv : -1.f;  // -1: never selected
  }
  // The router's own top-k: topk rounds of a warp argmax (ties to the lower expert id).
  unsigned taken = 0;
  float wsum = 0;
  for (int j = 0; j < topk; ++j) {
    float best = -2.f;
    int bi = INT_MAX;
#pragma unroll
    for (int i = 0; i < 32; ++i)
      if (!((taken >> i) & 1u) && sc[i] > best) best = sc[i], bi = lane + 32 * i;
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best, o);
      const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
      if (ov > best || (ov == best && oi < bi)) best = ov, bi = oi;
    }
    if (lane == (bi & 31)) taken |= 1u << (bi >> 5);
    if (lane == 0) router_ids[t * topk + j] = bi, router_w[t * topk + j] = best;
    wsum += best;
  }
  // The experts the requested distribution assigns: their scores, renormalized over the topk.
  float fsum = 0;
  for (int j = 0; j < topk; ++j) {
    const int x = forced[t * topk + j];
    float v = 0;
#pragma unroll
    for (int i = 0; i < 32; ++i)
      if (i == (x >> 5)) v = sc[i];
    v = __shfl_sync(0xffffffffu, v, x & 31);
    if (lane == 0) weights[t * topk + j] = v;
    fsum += v;
  }
  if (lane == 0)
    for (int j = 0; j < topk; ++j) {
      router_w[t * topk + j] /= wsum;
      weights[t * topk + j] /= fsum;
    }
}

// Writes 8 values of row r, chunk c (columns 8c..8c+7) of a width-`width` tensor in `dtype`.
// Called by all lanes of a warp together (block mode reduces the amax over 16 lanes).
__device__ void emit_chunk(const float (&v)[8], bool valid, std::int64_t r, std::int64_t c, std::int64_t width, MoeDtype dtype,
                           float scale, int seg, int ld, void* out, float* scales) {
  if (dtype == MoeDtype::kBf16) {
    if (!valid) return;
    __align__(16) __nv_bfloat16 b[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) b[i] = __float2bfloat16(v[i]);
    reinterpret_cast<uint4*>(static_cast<__nv_bfloat16*>(out) + r * width)[c] = *reinterpret_cast<const uint4*>(b);
    return;
  }
  if (dtype == MoeDtype::kFp8Block) {
    float amax = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) amax = fmaxf(amax, fabsf(v[i]));
    for (int o = 8; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));  // 16-lane group
    scale = fmaxf(amax, kAmaxFloor) / kE4m3Max;
    const std::int64_t groups = (width + 127) / 128, g = c / 16;
    if (valid && c % 16 == 0) scales[groups * seg + g * ld + (r - seg)] = scale;
  }
  if (!valid) return;
  __align__(8) __nv_fp8_storage_t q[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) q[i] = __nv_cvt_float_to_fp8(v[i] / scale, __NV_SATFINITE, __NV_E4M3);
  reinterpret_cast<uint2*>(static_cast<std::uint8_t*>(out) + r * width)[c] = *reinterpret_cast<const uint2*>(q);
}

__device__ void load8(const __nv_bfloat16* p, float (&v)[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const __nv_bfloat16* b = reinterpret_cast<const __nv_bfloat16*>(&raw);
#pragma unroll
  for (int i = 0; i < 8; ++i) v[i] = __bfloat162float(b[i]);
}

// Chunk loop bound: whole warps (32 chunks) so that the shuffles of every iteration see all lanes.
__device__ std::int64_t chunk_bound(std::int64_t width) { return (width / 8 + 31) / 32 * 32; }

__global__ void permute_kernel(const __nv_bfloat16* x, std::int64_t hidden, MoeDtype dtype, const std::int32_t* perm_src,
                               const std::int32_t* perm_seg, const std::int32_t* perm_ld, float scale, void* out, float* scales) {
  const std::int64_t r = blockIdx.x;
  const int src = perm_src[r], seg = perm_seg[r], ld = perm_ld[r];
  for (std::int64_t c = threadIdx.x; c < chunk_bound(hidden); c += blockDim.x) {
    const bool in_row = c < hidden / 8;
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (in_row && src >= 0) load8(x + src * hidden + 8 * c, v);
    emit_chunk(v, in_row, r, c, hidden, dtype, scale, seg, ld, out, scales);
  }
}

__global__ void silu_mul_kernel(const __nv_bfloat16* gu, std::int64_t inter, MoeDtype dtype, const std::int32_t* perm_src,
                                const std::int32_t* perm_seg, const std::int32_t* perm_ld, float scale, void* act, float* scales) {
  const std::int64_t r = blockIdx.x;
  const int src = perm_src[r], seg = perm_seg[r], ld = perm_ld[r];
  for (std::int64_t c = threadIdx.x; c < chunk_bound(inter); c += blockDim.x) {
    const bool in_row = c < inter / 8;
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (in_row && src >= 0) {  // padding rows of gu were never written by the GEMM: not read
      float g[8], u[8];
      load8(gu + r * 2 * inter + 8 * c, g);
      load8(gu + r * 2 * inter + inter + 8 * c, u);
#pragma unroll
      for (int i = 0; i < 8; ++i) v[i] = g[i] / (1.f + expf(-g[i])) * u[i];
    }
    emit_chunk(v, in_row, r, c, inter, dtype, scale, seg, ld, act, scales);
  }
}

__global__ void combine_kernel(const __nv_bfloat16* y, const std::int32_t* slot_row, const float* weights, int topk,
                               std::int64_t hidden, __nv_bfloat16* out) {
  __shared__ int rows[kMaxTopk];
  __shared__ float w[kMaxTopk];
  const std::int64_t t = blockIdx.x;
  if (threadIdx.x < topk) rows[threadIdx.x] = slot_row[t * topk + threadIdx.x], w[threadIdx.x] = weights[t * topk + threadIdx.x];
  __syncthreads();
  for (std::int64_t c = threadIdx.x; c < hidden / 8; c += blockDim.x) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int j = 0; j < topk; ++j) {
      if (rows[j] < 0) continue;
      float v[8];
      load8(y + rows[j] * hidden + 8 * c, v);
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] += w[j] * v[i];
    }
    __align__(16) __nv_bfloat16 b[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) b[i] = __float2bfloat16(acc[i]);
    reinterpret_cast<uint4*>(out + t * hidden)[c] = *reinterpret_cast<const uint4*>(b);
  }
}

}  // namespace

cudaError_t launch_route(const void* logits, std::int64_t tokens, int experts, int topk, bool sigmoid,
                         const std::int32_t* forced_ids, std::int32_t* router_ids, float* router_weights, float* weights,
                         cudaStream_t stream) noexcept {
  if (experts < 1 || experts > 1024 || topk < 1 || topk > kMaxTopk || topk > experts) return cudaErrorInvalidValue;
  NvtxRange range("aiconf.moe.route");
  const int warps = 4;
  const std::int64_t blocks = (tokens + warps - 1) / warps;
  route_kernel<<<static_cast<unsigned>(blocks), warps * 32, 0, stream>>>(static_cast<const __nv_bfloat16*>(logits), tokens, experts,
                                                                        topk, sigmoid, forced_ids, router_ids, router_weights, weights);
  return cudaGetLastError();
}

cudaError_t launch_permute(const void* x, std::int64_t rows, std::int64_t hidden, MoeDtype dtype, const std::int32_t* perm_src,
                           const std::int32_t* perm_seg, const std::int32_t* perm_ld, float scale, void* out, float* scales,
                           cudaStream_t stream) noexcept {
  if (hidden % 16 != 0 || rows < 1 || rows > INT_MAX) return cudaErrorInvalidValue;
  NvtxRange range(dtype == MoeDtype::kBf16 ? "aiconf.moe.permute" : "aiconf.moe.permute_quantize_fp8");
  permute_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), hidden, dtype,
                                                                          perm_src, perm_seg, perm_ld, scale, out, scales);
  return cudaGetLastError();
}

cudaError_t launch_silu_mul(const void* gu, std::int64_t rows, std::int64_t inter, MoeDtype dtype, const std::int32_t* perm_src,
                            const std::int32_t* perm_seg, const std::int32_t* perm_ld, float scale, void* act, float* scales,
                            cudaStream_t stream) noexcept {
  if (inter % 16 != 0 || rows < 1 || rows > INT_MAX) return cudaErrorInvalidValue;
  NvtxRange range(dtype == MoeDtype::kBf16 ? "aiconf.moe.silu_mul" : "aiconf.moe.silu_mul_quantize_fp8");
  silu_mul_kernel<<<static_cast<unsigned>(rows), kRowThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(gu), inter, dtype,
                                                                           perm_src, perm_seg, perm_ld, scale, act, scales);
  return cudaGetLastError();
}

cudaError_t launch_combine(const void* y, const std::int32_t* slot_row, const float* weights, std::int64_t tokens, int topk,
                           std::int64_t hidden, void* out, cudaStream_t stream) noexcept {
  if (hidden % 8 != 0 || topk < 1 || topk > kMaxTopk || tokens < 1 || tokens > INT_MAX) return cudaErrorInvalidValue;
  NvtxRange range("aiconf.moe.combine");
  combine_kernel<<<static_cast<unsigned>(tokens), kRowThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(y), slot_row, weights,
                                                                            topk, hidden, static_cast<__nv_bfloat16*>(out));
  return cudaGetLastError();
}

}  // namespace aiconf::moe
