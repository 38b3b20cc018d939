// Narrow-heads sparse MLA forward (bf16 cache, num_heads <= 32): the heads go into the N dimension of
// the tensor-core tiles instead of M ("swap AB").
//
// The 64-head-tile kernel (sparse_mla_producer.cu) puts the heads in wgmma's M = 64. With 16 heads
// (DeepSeek-V3.2 at TP 8) three quarters of its math is padding, and that padded math, not the cache
// reads, bounds its tiles (2.9 us of math path per tile against ~2.2 us of gather at full HBM speed;
// NOTES.md). Here one warpgroup computes, per gathered tile of 64 keys,
//   S^T = K Q^T    : 64 keys x kN heads   wgmma m64nNk16 x 36, A = the key tile, B = Q (both K-major)
//   softmax over the keys (wgmma's M: lane shuffles, then shared memory across the 4 warps)
//   O^T += V^T P^T : 512 x kN             wgmma m64nNk16, 8 blocks x 4 k-steps, A = V read MN-major
//                                         from the same tile, B = P^T (kN rows of 64 keys)
// with kN = 16 or 32, so a tile's math is a quarter (a half) of the padded one and the gather bounds
// the kernel. One CTA of 128 threads per (query token, split); the key tile is double-buffered (the
// gather of tile j+1 overlaps the math of tile j); the output is transposed through shared memory so
// rows are written with 16-byte stores.
#include <cmath>

#include "sparse_mla_narrow.h"
#include "sparse_mla_tile.cuh"
#include "wgmma_ops.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

constexpr int kNarrowThreads = 128;
constexpr int kTileBytes = kBlockN * kDqk * 2;  // 73728: 9 swizzled blocks of 64 keys x 64 values
constexpr int kStageStride = 516;  // floats per head row of the output staging (512 + 4: no bank conflicts)

/// Shared memory: two key tiles, Q (kN rows of 576), P^T (kN rows of 64 keys), small arrays. All
/// operand regions start on 1024-byte boundaries (the 128B-swizzle atom).
template <int kN>
struct NarrowSmem {
  static constexpr int tile0 = 0;
  static constexpr int tile1 = kTileBytes;
  static constexpr int q = 2 * kTileBytes;
  static constexpr int p = q + kN * kDqk * 2;
  static constexpr int small = p + kN * kBlockN * 2;  // max [4 warps][kN], sum [4][kN], valid [2][64]
  static constexpr int bytes = small + (8 * kN + 128) * 4 + 1024;  // +1024: manual alignment
  static_assert(kN * kStageStride * 4 <= kTileBytes, "output staging must fit in a key tile");
};
static_assert(NarrowSmem<32>::bytes <= 232448, "exceeds 227 KB of shared memory");

/// S^T (+)= K Q^T for one k-step of 16 values.
template <int kN>
__device__ __forceinline__ void mma_qk(float (&d)[kN / 2], uint64_t k_desc, uint64_t q_desc, int accumulate) {
  if constexpr (kN == 16) wgmma_m64n16k16_bf16_ss(d, k_desc, q_desc, accumulate);
  else wgmma_m64n32k16_bf16_ss(d, k_desc, q_desc, accumulate);
}

/// O^T += V^T P^T for one block of 64 latent columns and 16 keys (V is MN-major: transposed A).
template <int kN>
__device__ __forceinline__ void mma_pv(float (&d)[kN / 2], uint64_t v_desc, uint64_t p_desc) {
  if constexpr (kN == 16) wgmma_m64n16k16_bf16_ss_ta(d, v_desc, p_desc, 1);
  else wgmma_m64n32k16_bf16_ss_ta(d, v_desc, p_desc, 1);
}

template <int kN>
__global__ void __launch_bounds__(kNarrowThreads, 1)
    sparse_mla_fwd_narrow_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  constexpr int kSlots = kN / 4;  // heads per thread: kN / 8 column groups x 2 columns
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  using L = NarrowSmem<kN>;
  float* s_max = reinterpret_cast<float*>(smem + L::small);  // [4 warps][kN]
  float* s_sum = s_max + 4 * kN;                              // [4 warps][kN]
  int* s_valid = reinterpret_cast<int*>(s_sum + 4 * kN);      // [2 stages][64]

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int key0 = warp * 16 + (lane >> 2);  // accumulator rows: keys (S^T) or latent columns (O^T) key0, key0 + 8
  // Head of slot `hs` (column group hs / 2, column hs % 2 of the lane's pair).
  auto head_of = [lane](int hs) { return (hs >> 1) * 8 + (lane & 3) * 2 + (hs & 1); };

  const Work w = decode_work(p, num_splits);
  const uint32_t q_s = smem_u32(smem + L::q);
  const uint32_t p_s = smem_u32(smem + L::p);
  uint8_t* p_tile = smem + L::p;
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;

  float o[8][kN / 2];
#pragma unroll
  for (int b = 0; b < 8; ++b)
#pragma unroll
    for (int i = 0; i < kN / 2; ++i) o[b][i] = 0.f;
  float m_run[kSlots], l_run[kSlots];  // per head: running max (raw logit) and partial sum of this thread's keys
#pragma unroll
  for (int hs = 0; hs < kSlots; ++hs) {
    m_run[hs] = -INFINITY;
    l_run[hs] = 0.f;
  }

  // Query: kN rows x 72 chunks of 16 bytes, heads past num_heads zero-filled.
  for (int e = tid; e < kN * 72; e += kNarrowThreads) {
    const int r = e / 72, c = e % 72;
    const bool ok = w.head0 + r < p.num_heads;
    const char* src = reinterpret_cast<const char*>(p.q) +
                      (ok ? (static_cast<int64_t>(w.token) * p.num_heads + w.head0 + r) * (kDqk * 2) + c * 16 : 0);
    cp_async_16(q_s + aiconf::plugins::hopper::swz_offset(kN, r, c), src, ok ? 16 : 0);
  }
  // The gather mapping of issue_tile_bf16 is for 256 threads (row = tid / 4): each thread here plays
  // two of them, rows tid / 4 and tid / 4 + 32.
  const int my_row = tid >> 2;
  if (w.tile_begin < w.tile_end) {
#pragma unroll
    for (int h = 0; h < 2; ++h)
      issue_tile_bf16(p, w, load_index(p, w, w.tile_begin, my_row + 32 * h), smem_u32(smem + L::tile0), s_valid,
                      tid + kNarrowThreads * h);
  }
  cp_async_commit();
  int next_idx[2] = {load_index(p, w, w.tile_begin + 1, my_row), load_index(p, w, w.tile_begin + 1, my_row + 32)};

  for (int t = w.tile_begin, it = 0; t < w.tile_end; ++t, ++it) {
    const int stage = it & 1;
    const uint32_t tile_s = smem_u32(smem + (stage ? L::tile1 : L::tile0));
    const uint32_t other_tile = smem_u32(smem + (stage ? L::tile0 : L::tile1));
    cp_async_wait_all();
    __syncthreads();  // tile `stage` complete; the other buffer's last wgmma retired (every thread waited)
    if (t + 1 < w.tile_end) {
#pragma unroll
      for (int h = 0; h < 2; ++h)
        issue_tile_bf16(p, w, next_idx[h], other_tile, s_valid + 64 * (stage ^ 1), tid + kNarrowThreads * h);
    }
    cp_async_commit();
#pragma unroll
    for (int h = 0; h < 2; ++h) next_idx[h] = load_index(p, w, t + 2, my_row + 32 * h);
    const int* valid = s_valid + 64 * stage;

    // ---- S^T = K Q^T (64 keys x kN heads)
    float s[kN / 2];
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kDqk / 16; ++kk) {
      const uint32_t kcol = (kk & 3) * 32;
      mma_qk<kN>(s, make_desc_sw128(tile_s + (kk >> 2) * 8192 + kcol, 16, 1024),
                 make_desc_sw128(q_s + (kk >> 2) * (kN * 128) + kcol, 16, 1024), kk > 0);
    }
    wgmma_commit();
    wgmma_wait_all();

    // ---- mask skipped keys; per-head maxima over the 64 keys (8 lanes, then 4 warps)
    const bool ok0 = valid[key0] != 0, ok1 = valid[key0 + 8] != 0;
    float mx[kSlots];
#pragma unroll
    for (int hs = 0; hs < kSlots; ++hs) {
      float& a = s[(hs >> 1) * 4 + (hs & 1)];
      float& b = s[(hs >> 1) * 4 + 2 + (hs & 1)];
      a = ok0 ? a : -INFINITY;
      b = ok1 ? b : -INFINITY;
      mx[hs] = fmaxf(a, b);
#pragma unroll
      for (int x = 4; x < 32; x <<= 1) mx[hs] = fmaxf(mx[hs], __shfl_xor_sync(0xffffffffu, mx[hs], x));
      if (lane < 4) s_max[warp * kN + head_of(hs)] = mx[hs];
    }
    __syncthreads();
    float alpha[kSlots], m_scaled[kSlots];
#pragma unroll
    for (int hs = 0; hs < kSlots; ++hs) {
      const int head = head_of(hs);
      const float tile_max = fmaxf(fmaxf(s_max[head], s_max[kN + head]), fmaxf(s_max[2 * kN + head], s_max[3 * kN + head]));
      const float m_new = fmaxf(m_run[hs], tile_max);
      const float m_use = m_new == -INFINITY ? 0.f : m_new;  // all keys so far skipped: keep exponents finite
      alpha[hs] = exp2f((m_run[hs] - m_use) * scale_log2);
      m_run[hs] = m_new;
      l_run[hs] *= alpha[hs];
      m_scaled[hs] = m_use * scale_log2;
    }

    // ---- P^T = exp(scale (S - m)) as bf16: row `head` of 64 keys (128 B, swizzled, K-major)
#pragma unroll
    for (int hs = 0; hs < kSlots; ++hs) {
      const int head = head_of(hs);
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int key = key0 + 8 * i;
        const __nv_bfloat16 pb = __float2bfloat16_rn(aiconf::plugins::hopper::fast_exp2(fmaf(s[(hs >> 1) * 4 + 2 * i + (hs & 1)], scale_log2, -m_scaled[hs])));
        l_run[hs] += __bfloat162float(pb);  // the rounded weight: the one that multiplies V
        *reinterpret_cast<__nv_bfloat16*>(p_tile + head * 128 + (((key >> 3) ^ (head & 7)) << 4) + (key & 7) * 2) = pb;
      }
    }
    bool rescale = false;
#pragma unroll
    for (int hs = 0; hs < kSlots; ++hs) rescale |= alpha[hs] != 1.f;
    if (__any_sync(0xffffffffu, rescale)) {  // once the maxima settle, skip the multiplies
#pragma unroll
      for (int b = 0; b < 8; ++b)
#pragma unroll
        for (int i = 0; i < kN / 2; ++i) o[b][i] *= alpha[(i >> 2) * 2 + (i & 1)];
    }
    fence_proxy_async();
    __syncthreads();  // P^T complete

    // ---- O^T += V^T P^T: V = latent columns [64 b, 64 b + 64) of the tile, read MN-major
    wgmma_fence();
#pragma unroll
    for (int b = 0; b < 8; ++b)
#pragma unroll
      for (int kk = 0; kk < kBlockN / 16; ++kk)
        mma_pv<kN>(o[b], make_desc_sw128(tile_s + b * 8192 + kk * 2048, kMnLbo, kMnSbo),
                   make_desc_sw128(p_s + kk * 32, 16, 1024));
    wgmma_commit();
    wgmma_wait_all();
  }
  cp_async_wait_all();  // an empty split still issued its query tile

  // ---- epilogue: row sums (8 lanes, 4 warps), normalized O staged as [head][column] in tile 0
#pragma unroll
  for (int hs = 0; hs < kSlots; ++hs) {
#pragma unroll
    for (int x = 4; x < 32; x <<= 1) l_run[hs] += __shfl_xor_sync(0xffffffffu, l_run[hs], x);
    if (lane < 4) s_sum[warp * kN + head_of(hs)] = l_run[hs];
  }
  __syncthreads();  // also: no wgmma reads tile 0 any more
  float* staged = reinterpret_cast<float*>(smem + L::tile0);
  float inv[kSlots];
#pragma unroll
  for (int hs = 0; hs < kSlots; ++hs) {
    const int head = head_of(hs);
    const float total = s_sum[head] + s_sum[kN + head] + s_sum[2 * kN + head] + s_sum[3 * kN + head];
    inv[hs] = total > 0.f ? 1.f / total : 0.f;
    if (warp == 0 && lane < 4 && w.head0 + head < p.num_heads) {
      const float lse = total > 0.f ? m_run[hs] * p.sm_scale + logf(total) : -INFINITY;
      const int64_t th = static_cast<int64_t>(w.token) * p.num_heads + w.head0 + head;
      if (num_splits == 1) {
        if (p.lse != nullptr) p.lse[th] = lse;
      } else {
        lse_partial[static_cast<int64_t>(w.split) * p.num_tokens * p.num_heads + th] = lse;
      }
    }
  }
#pragma unroll
  for (int b = 0; b < 8; ++b)
#pragma unroll
    for (int i = 0; i < kN / 2; ++i) {
      const int hs = (i >> 2) * 2 + (i & 1);
      staged[head_of(hs) * kStageStride + b * 64 + key0 + 8 * ((i >> 1) & 1)] = o[b][i] * inv[hs];
    }
  __syncthreads();
  for (int e = tid; e < kN * (kDv / 4); e += kNarrowThreads) {
    const int head = e / (kDv / 4), c4 = e % (kDv / 4);
    if (w.head0 + head >= p.num_heads) break;  // e grows with head: every later e is past num_heads too
    const float4 v = *reinterpret_cast<const float4*>(staged + head * kStageStride + c4 * 4);
    const int64_t th = static_cast<int64_t>(w.token) * p.num_heads + w.head0 + head;
    if (num_splits == 1) {
      __nv_bfloat162* dst = reinterpret_cast<__nv_bfloat162*>(p.out + th * kDv + c4 * 4);
      dst[0] = __floats2bfloat162_rn(v.x, v.y);
      dst[1] = __floats2bfloat162_rn(v.z, v.w);
    } else {
      const int64_t part = static_cast<int64_t>(w.split) * p.num_tokens * p.num_heads + th;
      *reinterpret_cast<float4*>(o_partial + part * kDv + c4 * 4) = v;
    }
  }
}

template <int kN>
cudaError_t launch_narrow(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                          cudaStream_t stream) {
  cudaError_t err = cudaFuncSetAttribute(sparse_mla_fwd_narrow_kernel<kN>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         NarrowSmem<kN>::bytes);
  if (err != cudaSuccess) return err;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * num_splits;
  sparse_mla_fwd_narrow_kernel<kN><<<static_cast<unsigned>(blocks), kNarrowThreads, NarrowSmem<kN>::bytes, stream>>>(
      p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_narrow_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                              cudaStream_t stream) {
  if (p.num_heads > kNarrowMaxHeads || p.kv_format != KvCacheFormat::kBf16) return cudaErrorInvalidValue;
  return p.num_heads <= 16 ? launch_narrow<16>(p, num_splits, o_partial, lse_partial, stream)
                           : launch_narrow<32>(p, num_splits, o_partial, lse_partial, stream);
}

}  // namespace aiconf::sparse_mla::detail
