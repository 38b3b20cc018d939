// Flash-attention forward on sm_90a: wgmma for both products, online softmax in fp32, GQA heads
// packed into the row dimension, optional split-KV with a combine kernel.
//
// CTA = kM packed rows (row = token * group + head-in-group) of one (sequence, kv head), and one
// split of its key range. kWG consumer warpgroups, warpgroup w owns rows [64w, 64w + 64):
//   S = Q K^T : wgmma m64n{kN}k16, Q and the K tile from shared memory (K-major, 128B swizzle)
//   softmax   : per row in registers (a row lives in the 4 lanes of a quad), running max / sum
//   O += P V  : wgmma m64n{Dv}k16 with P straight from registers (the S accumulator layout is the
//               A-fragment layout once packed to bf16 pairs) and V MN-major from shared memory
// Every thread also issues the cp.async loads of the next K/V tile (double buffer), so the load of
// tile j+1 overlaps the math of tile j. Two variants: kWG = 2, kN = 128 (prefill, compute-bound)
// and kWG = 1, kN = 64 (decode / few rows: smaller tiles, two CTAs per SM to keep more loads in
// flight).
#include "aiconf/flash_attention/flash_attention.h"

#include <aiconf_plugins/hopper_primitives.cuh>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nvtx3/nvToolsExt.h>

#include "fa_wgmma_ops.cuh"

namespace aiconf::flash_attention::detail {
namespace {

using namespace aiconf::plugins::hopper;

template <int Dqk, int Dv, int kWG, int kN, int kStages>
struct Config {
  static constexpr int kM = 64 * kWG;
  static constexpr int kThreads = 128 * kWG;
  static constexpr int kQBytes = kM * Dqk * 2;
  static constexpr int kKBytes = kN * Dqk * 2;
  static constexpr int kVBytes = kN * Dv * 2;
  static constexpr int kStageBytes = kKBytes + kVBytes;
  static constexpr int kSmemBytes = kQBytes + kStages * kStageBytes + 1024;  // +1024: manual alignment
  static_assert(kSmemBytes <= 232448, "exceeds 227 KB of shared memory");
  static_assert(Dqk % 64 == 0 && Dv % 64 == 0, "head dims are whole 128-byte swizzle blocks");
};

struct Work {
  int b, g, split, row0, rows_total, tile_begin, tile_end, tiles_unmasked;
};

template <int kM, int kN>
__device__ __forceinline__ Work decode_work(const FlashAttentionParams& p, int num_splits) {
  const int group = p.num_heads / p.num_kv_heads;
  Work w;
  w.rows_total = p.seqlen_q * group;
  const int m_blocks = (w.rows_total + kM - 1) / kM;
  w.split = blockIdx.x % num_splits;
  // Heaviest (last) row blocks first: with causal masking they have the most key tiles.
  const int mblk = m_blocks - 1 - static_cast<int>(blockIdx.x / num_splits);
  w.g = blockIdx.y;
  w.b = blockIdx.z;
  w.row0 = mblk * kM;
  const int prefix = p.seqlen_k - p.seqlen_q;
  const int last_token = (min(w.row0 + kM, w.rows_total) - 1) / group;
  const int first_token = w.row0 / group;
  const int key_end = p.causal ? prefix + last_token + 1 : p.seqlen_k;
  const int tiles = (key_end + kN - 1) / kN;
  // Tiles whose keys are visible to every row of the block (no mask needed).
  const int all_visible = p.causal ? prefix + first_token + 1 : p.seqlen_k;
  w.tiles_unmasked = all_visible / kN;
  const int per_split = (tiles + num_splits - 1) / num_splits;
  w.tile_begin = min(tiles, w.split * per_split);
  w.tile_end = min(tiles, w.tile_begin + per_split);
  return w;
}

template <int Dqk, int kM, int kThreads>
__device__ __forceinline__ void issue_q(const FlashAttentionParams& p, const Work& w, uint32_t q_s, int tid) {
  constexpr int kChunks = Dqk / 8;
  const int group = p.num_heads / p.num_kv_heads;
#pragma unroll 4
  for (int idx = tid; idx < kM * kChunks; idx += kThreads) {
    const int r = idx / kChunks, c = idx % kChunks;
    const int pr = w.row0 + r;
    const bool ok = pr < w.rows_total;
    const int t = ok ? pr / group : 0, h = w.g * group + (ok ? pr % group : 0);
    const __nv_bfloat16* src = p.q + ((static_cast<int64_t>(w.b) * p.seqlen_q + t) * p.num_heads + h) * Dqk + c * 8;
    cp_async_16(q_s + swz_offset(kM, r, c), src, ok ? 16 : 0);
  }
}

/// Rows [row0, row0 + kRows) of one K or V tile (D values per row) into the swizzled tile at
/// dst; rows past seqlen_k are zero-filled (a NaN there would poison P V even with P = 0).
/// When the thread count is a multiple of the 16-byte chunks per row, every thread keeps one chunk
/// column and steps down the rows: its swizzle phase (row % 8) never changes, so the shared and
/// global addresses advance by constants (this loop runs once per tile, inside the math warps).
template <int D, int kRows, int kThreads>
__device__ __forceinline__ void load_rows(const __nv_bfloat16* base, int64_t row_stride, int row0, int seqlen_k,
                                          uint32_t dst, int tid) {
  constexpr int kC = D / 8;
  if constexpr (kThreads % kC == 0 && (kThreads / kC) % 8 == 0 && kRows % (kThreads / kC) == 0) {
    constexpr int kStep = kThreads / kC, kIters = kRows / kStep;
    const int c = tid % kC, r = tid / kC;
    const uint32_t d0 = dst + (c >> 3) * (kRows * 128) + r * 128 + (((c & 7) ^ (r & 7)) << 4);
    const __nv_bfloat16* src = base + (row0 + r) * row_stride + c * 8;
    const int64_t step = kStep * row_stride;
#pragma unroll
    for (int k = 0; k < kIters; ++k) {
      const bool ok = row0 + r + k * kStep < seqlen_k;
      cp_async_16(d0 + k * kStep * 128, ok ? src + k * step : base, ok ? 16 : 0);
    }
  } else {
#pragma unroll 4
    for (int idx = tid; idx < kRows * kC; idx += kThreads) {
      const int r = idx / kC, c = idx % kC;
      const int key = row0 + r;
      const bool ok = key < seqlen_k;
      cp_async_16(dst + swz_offset(kRows, r, c), base + (ok ? key * row_stride : 0) + c * 8, ok ? 16 : 0);
    }
  }
}

/// K and V rows of key tile `tile`.
template <int Dqk, int Dv, int kN, int kThreads>
__device__ __forceinline__ void issue_kv(const FlashAttentionParams& p, const Work& w, int tile, uint32_t k_s,
                                         uint32_t v_s, int tid) {
  const __nv_bfloat16* kbase = p.k + w.b * p.k_batch_stride + w.g * p.k_head_stride;
  const __nv_bfloat16* vbase = p.v + w.b * p.v_batch_stride + w.g * p.v_head_stride;
  load_rows<Dqk, kN, kThreads>(kbase, p.k_row_stride, tile * kN, p.seqlen_k, k_s, tid);
  load_rows<Dv, kN, kThreads>(vbase, p.v_row_stride, tile * kN, p.seqlen_k, v_s, tid);
}

template <int N>
__device__ __forceinline__ void wgmma_s(float (&d)[N / 2], uint64_t a, uint64_t b, int acc) {
  if constexpr (N == 64) wgmma_m64n64k16_ss(d, a, b, acc);
  else wgmma_m64n128k16_ss(d, a, b, acc);
}
template <int N>
__device__ __forceinline__ void wgmma_pv(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t b) {
  if constexpr (N == 64) wgmma_m64n64k16_rs_tb(d, a, b);
  else wgmma_m64n128k16_rs_tb(d, a, b);
}

/// Per-thread row state of the online softmax: this thread holds rows r and r + 8 of its
/// warpgroup's 64 (index i = 0, 1), each spread over the 4 lanes of a quad.
struct RowState {
  float m[2] = {-INFINITY, -INFINITY};  // running max of the raw scores
  float l[2] = {0.f, 0.f};              // running sum over this lane's columns
  int limit[2];                         // last visible key (inclusive)
};

/// Masks tile `j` where needed, updates the running max/sum and replaces s by the unnormalized
/// probabilities exp(scale (s - m)) (fp32). Returns through alpha the factor the accumulated O
/// must be multiplied by.
template <int kN>
__device__ __forceinline__ void softmax_tile(float (&s)[kN / 2], int j, const Work& w, RowState& rs, int colq,
                                             float scale_log2, float (&alpha)[2]) {
  if (j >= w.tiles_unmasked) {
#pragma unroll
    for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int jj = 0; jj < 2; ++jj)
          if (j * kN + n8 * 8 + colq + jj > rs.limit[i]) s[n8 * 4 + i * 2 + jj] = -INFINITY;
  }
  float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i) mx[i] = fmaxf(mx[i], fmaxf(s[n8 * 4 + i * 2], s[n8 * 4 + i * 2 + 1]));
  float m_scaled[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
    const float m_new = fmaxf(rs.m[i], mx[i]);
    // No visible key yet: keep the exponents finite (exp2(-inf) = 0, never -inf - -inf).
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    alpha[i] = fast_exp2((rs.m[i] - m_use) * scale_log2);
    rs.m[i] = m_new;
    m_scaled[i] = m_use * scale_log2;
  }
  float sum[2] = {0.f, 0.f};
#pragma unroll
  for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int jj = 0; jj < 2; ++jj) {
        float& v = s[n8 * 4 + i * 2 + jj];
        v = fast_exp2(fmaf(v, scale_log2, -m_scaled[i]));
        sum[i] += v;
      }
#pragma unroll
  for (int i = 0; i < 2; ++i) rs.l[i] = rs.l[i] * alpha[i] + sum[i];
}

/// softmax_tile fused with the bf16 packing: masks tile j, updates the running max/sum and writes
/// the probabilities straight into the A fragments of the P V wgmma (k-step kk = keys
/// [16 kk, 16 kk + 16) = accumulator column groups 2 kk and 2 kk + 1), so S dies as P is formed.
template <int kN>
__device__ __forceinline__ void softmax_tile_to_p(float (&s)[kN / 2], int j, const Work& w, RowState& rs, int colq,
                                                  float scale_log2, float (&alpha)[2], uint32_t (&pf)[kN / 16][4]) {
  if (j >= w.tiles_unmasked) {
#pragma unroll
    for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int jj = 0; jj < 2; ++jj)
          if (j * kN + n8 * 8 + colq + jj > rs.limit[i]) s[n8 * 4 + i * 2 + jj] = -INFINITY;
  }
  float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i) mx[i] = fmaxf(mx[i], fmaxf(s[n8 * 4 + i * 2], s[n8 * 4 + i * 2 + 1]));
  float m_scaled[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
    const float m_new = fmaxf(rs.m[i], mx[i]);
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    alpha[i] = fast_exp2((rs.m[i] - m_use) * scale_log2);
    rs.m[i] = m_new;
    m_scaled[i] = m_use * scale_log2;
  }
  float sum[2] = {0.f, 0.f};
#pragma unroll
  for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float p0 = fast_exp2(fmaf(s[n8 * 4 + i * 2], scale_log2, -m_scaled[i]));
      const float p1 = fast_exp2(fmaf(s[n8 * 4 + i * 2 + 1], scale_log2, -m_scaled[i]));
      sum[i] += p0 + p1;
      pf[n8 >> 1][(n8 & 1) * 2 + i] = pack_bf16x2(p0, p1);
    }
#pragma unroll
  for (int i = 0; i < 2; ++i) rs.l[i] = rs.l[i] * alpha[i] + sum[i];
}

/// Probabilities (fp32, S accumulator layout) -> bf16 A fragments of the P V wgmma: k-step kk
/// covers keys [16 kk, 16 kk + 16) = accumulator column groups 2 kk and 2 kk + 1.
template <int kN>
__device__ __forceinline__ void pack_p(const float (&s)[kN / 2], uint32_t (&pf)[kN / 16][4]) {
#pragma unroll
  for (int n8 = 0; n8 < kN / 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i) pf[n8 >> 1][(n8 & 1) * 2 + i] = pack_bf16x2(s[n8 * 4 + i * 2], s[n8 * 4 + i * 2 + 1]);
}

template <int Dv>
__device__ __forceinline__ void scale_o(float (&o)[Dv / 2], const float (&alpha)[2]) {
  // Once the running maxima settle, alpha is exactly 1 for whole warps: skip the multiplies.
  if (!__any_sync(0xffffffffu, alpha[0] != 1.f || alpha[1] != 1.f)) return;
#pragma unroll
  for (int n = 0; n < Dv / 8; ++n) {
    o[n * 4 + 0] *= alpha[0];
    o[n * 4 + 1] *= alpha[0];
    o[n * 4 + 2] *= alpha[1];
    o[n * 4 + 3] *= alpha[1];
  }
}

/// S = Q K^T for this warpgroup's 64 rows and the kN keys of the tile at k_s.
template <int Dqk, int kM, int kN>
__device__ __forceinline__ void issue_qk(float (&s)[kN / 2], uint32_t q_s, uint32_t k_s, int wg) {
#pragma unroll
  for (int kk = 0; kk < Dqk / 16; ++kk) {
    const uint32_t qoff = (kk >> 2) * (kM * 128) + wg * 8192 + (kk & 3) * 32;
    const uint32_t koff = (kk >> 2) * (kN * 128) + (kk & 3) * 32;
    wgmma_s<kN>(s, make_desc_sw128(q_s + qoff, 16, 1024), make_desc_sw128(k_s + koff, 16, 1024), kk > 0);
  }
}

/// O += P V with V (kN keys) MN-major at v_s.
template <int Dv, int kN>
__device__ __forceinline__ void issue_pv(float (&o)[Dv / 2], const uint32_t (&pf)[kN / 16][4], uint32_t v_s) {
#pragma unroll
  for (int kk = 0; kk < kN / 16; ++kk) wgmma_pv<Dv>(o, pf[kk], make_desc_sw128(v_s + kk * 2048, kN * 128, 1024));
}

/// Normalizes and writes this thread's two rows: bf16 out (+ lse), or fp32 partials with split-KV.
template <int Dv>
__device__ __forceinline__ void write_rows(const FlashAttentionParams& p, const Work& w, int num_splits, RowState& rs,
                                           const float (&o)[Dv / 2], int r_local, int lane, float* o_partial,
                                           float* lse_partial) {
  const int group = p.num_heads / p.num_kv_heads;
  const int colq = (lane & 3) * 2;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    float l = rs.l[i];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const int pr = w.row0 + r_local + 8 * i;
    if (pr >= w.rows_total) continue;
    const int t = pr / group, h = w.g * group + pr % group;
    const float inv = l > 0.f ? 1.f / l : 0.f;
    const float lse = l > 0.f ? rs.m[i] * p.sm_scale + logf(l) : -INFINITY;
    const int64_t row = (static_cast<int64_t>(w.b) * p.seqlen_q + t) * p.num_heads + h;
    if (num_splits == 1) {
      __nv_bfloat16* dst = p.out + row * Dv + colq;
#pragma unroll
      for (int n = 0; n < Dv / 8; ++n)
        *reinterpret_cast<uint32_t*>(dst + n * 8) = pack_bf16x2(o[n * 4 + 2 * i] * inv, o[n * 4 + 2 * i + 1] * inv);
      if (p.lse != nullptr && (lane & 3) == 0) p.lse[row] = lse;
    } else {
      const int64_t part = static_cast<int64_t>(w.split) * p.batch * p.seqlen_q * p.num_heads + row;
      float* dst = o_partial + part * Dv + colq;
#pragma unroll
      for (int n = 0; n < Dv / 8; ++n)
        *reinterpret_cast<float2*>(dst + n * 8) = make_float2(o[n * 4 + 2 * i] * inv, o[n * 4 + 2 * i + 1] * inv);
      if ((lane & 3) == 0) lse_partial[part] = lse;
    }
  }
}

template <int kM>
__device__ __forceinline__ RowState init_rows(const FlashAttentionParams& p, const Work& w, int r_local) {
  const int group = p.num_heads / p.num_kv_heads;
  const int prefix = p.seqlen_k - p.seqlen_q;
  RowState rs;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int t = (w.row0 + r_local + 8 * i) / group;
    rs.limit[i] = p.causal ? min(prefix + t, p.seqlen_k - 1) : p.seqlen_k - 1;
  }
  return rs;
}

/// Basic kernel: per tile, S -> softmax -> P V, each product waited for; K/V double-buffered.
template <int Dqk, int Dv, int kWG, int kN>
__global__ void __launch_bounds__(128 * kWG, kWG == 1 ? 2 : 1)
    fa_fwd_kernel(const FlashAttentionParams p, int num_splits, float* o_partial, float* lse_partial) {
  using C = Config<Dqk, Dv, kWG, kN, 2>;
  constexpr int kM = C::kM, kThreads = C::kThreads;
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  const uint32_t q_s = smem_u32(smem);
  const uint32_t stage0_s = q_s + C::kQBytes;  // stage s at stage0_s + s * kStageBytes

  const int tid = threadIdx.x, wg = tid >> 7, lane = tid & 31;
  const int r_local = wg * 64 + ((tid & 127) >> 5) * 16 + (lane >> 2);  // rows r_local and r_local + 8
  const int colq = (lane & 3) * 2;
  const Work w = decode_work<kM, kN>(p, num_splits);
  RowState rs = init_rows<kM>(p, w, r_local);
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;

  float o[Dv / 2];
#pragma unroll
  for (int i = 0; i < Dv / 2; ++i) o[i] = 0.f;

  issue_q<Dqk, kM, kThreads>(p, w, q_s, tid);
  if (w.tile_begin < w.tile_end)
    issue_kv<Dqk, Dv, kN, kThreads>(p, w, w.tile_begin, stage0_s, stage0_s + C::kKBytes, tid);
  cp_async_commit();

  for (int j = w.tile_begin, it = 0; j < w.tile_end; ++j, ++it) {
    const uint32_t k_s = stage0_s + (it & 1) * C::kStageBytes, v_s = k_s + C::kKBytes;
    cp_async_wait_all();
    fence_proxy_async();
    __syncthreads();  // tile j in place; every wgmma on the other buffer has retired
    if (j + 1 < w.tile_end) {
      const uint32_t nk = stage0_s + ((it + 1) & 1) * C::kStageBytes;
      issue_kv<Dqk, Dv, kN, kThreads>(p, w, j + 1, nk, nk + C::kKBytes, tid);
    }
    cp_async_commit();

    float s[kN / 2];
    wgmma_fence();
    issue_qk<Dqk, kM, kN>(s, q_s, k_s, wg);
    wgmma_commit();
    wgmma_wait<0>();
    float alpha[2];
    uint32_t pf[kN / 16][4];
    softmax_tile_to_p<kN>(s, j, w, rs, colq, scale_log2, alpha, pf);
    scale_o<Dv>(o, alpha);
    wgmma_fence();
    issue_pv<Dv, kN>(o, pf, v_s);
    wgmma_commit();
    wgmma_wait<0>();
  }
  cp_async_wait_all();  // an empty split still loaded its query tile
  write_rows<Dv>(p, w, num_splits, rs, o, r_local, lane, o_partial, lse_partial);
}

/// Overlapped kernel (2 warpgroups, 128-key tiles, 3 K/V stages): while the tensor cores run
/// O += P_j V_j, the warpgroup already has S_{j+1} = Q K_{j+1} issued ahead of it and computes the
/// softmax of tile j+1 as soon as that product lands; O is rescaled once P_j V_j retires. The third
/// stage lets tile j+2 load while tiles j (V) and j+1 (K) are in use.
/// kFusedP: the softmax of tile j+1 writes bf16 P into a second fragment set (S dies as P forms)
/// instead of keeping fp32 probabilities until P_j V_j retires.
template <int Dqk, int Dv, bool kFusedP>
__global__ void __launch_bounds__(256, 1)
    fa_fwd_overlap_kernel(const FlashAttentionParams p, int num_splits, float* o_partial, float* lse_partial) {
  constexpr int kN = 128, kStages = 3;
  using C = Config<Dqk, Dv, 2, kN, kStages>;
  constexpr int kM = C::kM, kThreads = C::kThreads;
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  const uint32_t q_s = smem_u32(smem);
  const uint32_t stage0_s = q_s + C::kQBytes;

  const int tid = threadIdx.x, wg = tid >> 7, lane = tid & 31;
  const int r_local = wg * 64 + ((tid & 127) >> 5) * 16 + (lane >> 2);
  const int colq = (lane & 3) * 2;
  const Work w = decode_work<kM, kN>(p, num_splits);
  RowState rs = init_rows<kM>(p, w, r_local);
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;
  const int T = w.tile_end - w.tile_begin;
  auto stage = [&](int it) { return stage0_s + (it % kStages) * C::kStageBytes; };

  float o[Dv / 2];
#pragma unroll
  for (int i = 0; i < Dv / 2; ++i) o[i] = 0.f;
  float s[kN / 2];
  uint32_t pf[kN / 16][4];
  float alpha[2];

  issue_q<Dqk, kM, kThreads>(p, w, q_s, tid);
  if (T > 0) issue_kv<Dqk, Dv, kN, kThreads>(p, w, w.tile_begin, stage(0), stage(0) + C::kKBytes, tid);
  cp_async_commit();
  if (T > 1) issue_kv<Dqk, Dv, kN, kThreads>(p, w, w.tile_begin + 1, stage(1), stage(1) + C::kKBytes, tid);
  cp_async_commit();

  if (T > 0) {
    cp_async_wait<1>();  // Q and tile 0 (tile 1 may still be in flight)
    fence_proxy_async();
    __syncthreads();
    wgmma_fence();
    issue_qk<Dqk, kM, kN>(s, q_s, stage(0), wg);
    wgmma_commit();
    wgmma_wait<0>();
    softmax_tile_to_p<kN>(s, w.tile_begin, w, rs, colq, scale_log2, alpha, pf);
  }
  for (int it = 0; it < T; ++it) {
    const bool next = it + 1 < T;
    if (next) {
      cp_async_wait_all();  // tile it+1 in place
      fence_proxy_async();
      __syncthreads();  // and every warpgroup is past iteration it-1, so stage (it+2)%3 is free
      if (it + 2 < T)
        issue_kv<Dqk, Dv, kN, kThreads>(p, w, w.tile_begin + it + 2, stage(it + 2), stage(it + 2) + C::kKBytes, tid);
      cp_async_commit();
    }
    wgmma_fence();
    if (next) {
      issue_qk<Dqk, kM, kN>(s, q_s, stage(it + 1), wg);
      wgmma_commit();
    }
    issue_pv<Dv, kN>(o, pf, stage(it) + C::kKBytes);
    wgmma_commit();
    if (next) {
      wgmma_wait<1>();  // S_{j+1} done (P_j V_j may still run)
      if constexpr (kFusedP) {
        uint32_t pf_next[kN / 16][4];
        softmax_tile_to_p<kN>(s, w.tile_begin + it + 1, w, rs, colq, scale_log2, alpha, pf_next);
        wgmma_wait<0>();  // P_j V_j done: O and the P registers are free
        scale_o<Dv>(o, alpha);
#pragma unroll
        for (int kk = 0; kk < kN / 16; ++kk)
#pragma unroll
          for (int r = 0; r < 4; ++r) pf[kk][r] = pf_next[kk][r];
      } else {
        softmax_tile<kN>(s, w.tile_begin + it + 1, w, rs, colq, scale_log2, alpha);
        wgmma_wait<0>();  // P_j V_j done: O and the P registers are free
        scale_o<Dv>(o, alpha);
        pack_p<kN>(s, pf);
      }
    } else {
      wgmma_wait<0>();
    }
  }
  cp_async_wait_all();
  write_rows<Dv>(p, w, num_splits, rs, o, r_local, lane, o_partial, lse_partial);
}

/// out = sum_s exp(lse_s - lse) o_s, lse = log sum_s exp(lse_s). One warp per output row.
template <int Dv>
__global__ void __launch_bounds__(128) fa_combine_kernel(const FlashAttentionParams p, int num_splits,
                                                         const float* o_partial, const float* lse_partial) {
  constexpr int kPer = Dv / 32;
  const int64_t rows = static_cast<int64_t>(p.batch) * p.seqlen_q * p.num_heads;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * 4 + (threadIdx.x >> 5);
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  float m = -INFINITY;
  for (int s = 0; s < num_splits; ++s) m = fmaxf(m, lse_partial[s * rows + row]);
  float acc[kPer] = {};
  float denom = 0.f;
  if (m != -INFINITY) {
    for (int s = 0; s < num_splits; ++s) {
      const float ls = lse_partial[s * rows + row];
      if (ls == -INFINITY) continue;
      const float wgt = __expf(ls - m);
      denom += wgt;
      const float* src = o_partial + (s * rows + row) * Dv + lane * kPer;
#pragma unroll
      for (int e = 0; e < kPer; ++e) acc[e] += wgt * src[e];
    }
  }
  const float inv = denom > 0.f ? 1.f / denom : 0.f;
  __nv_bfloat16* dst = p.out + row * Dv + lane * kPer;
#pragma unroll
  for (int e = 0; e < kPer; e += 2)
    *reinterpret_cast<uint32_t*>(dst + e) = pack_bf16x2(acc[e] * inv, acc[e + 1] * inv);
  if (p.lse != nullptr && lane == 0) p.lse[row] = denom > 0.f ? m + logf(denom) : -INFINITY;
}

/// Launches one forward kernel (and the combine kernel with split-KV).
template <int kM, int kThreads, int kSmemBytes, class Kernel>
cudaError_t launch_kernel(Kernel kernel, const FlashAttentionParams& p, int num_splits, float* o_partial,
                          float* lse_partial, cudaStream_t stream) {
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (err != cudaSuccess) return err;
  const int rows = p.seqlen_q * (p.num_heads / p.num_kv_heads);
  const int m_blocks = (rows + kM - 1) / kM;
  const dim3 grid(static_cast<unsigned>(m_blocks * num_splits), static_cast<unsigned>(p.num_kv_heads),
                  static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, kSmemBytes, stream>>>(p, num_splits, o_partial, lse_partial);
  err = cudaGetLastError();
  if (err != cudaSuccess || num_splits == 1) return err;
  const int64_t out_rows = static_cast<int64_t>(p.batch) * p.seqlen_q * p.num_heads;
  const unsigned blocks = static_cast<unsigned>((out_rows + 3) / 4);
  if (p.head_dim_v == 64) fa_combine_kernel<64><<<blocks, 128, 0, stream>>>(p, num_splits, o_partial, lse_partial);
  else fa_combine_kernel<128><<<blocks, 128, 0, stream>>>(p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

/// The kernel variant for `p` (see FlashAttentionParams::kernel_variant).
KernelVariant pick_variant(const FlashAttentionParams& p) {
  if (p.kernel_variant != KernelVariant::kAuto) return p.kernel_variant;
  // Few packed rows (decode, short prefills): one warpgroup, 64-key tiles, two CTAs per SM.
  if (static_cast<int64_t>(p.seqlen_q) * (p.num_heads / p.num_kv_heads) <= 64) return KernelVariant::kSmall64x64;
  // Prefill: the basic 128x128 kernel. On the H200 (results/bench_h200_v3.txt, same run) it beat
  // the overlapped one by 7-11% (d128 s16384: 451 vs 406 TFLOP/s; d64: 311 vs 286).
  return KernelVariant::kBasic128x128;
}

template <int Dqk, int Dv>
cudaError_t launch_dims(const FlashAttentionParams& p, int s, float* op, float* lp, cudaStream_t stream) {
  switch (pick_variant(p)) {
    case KernelVariant::kSmall64x64: {
      using C = Config<Dqk, Dv, 1, 64, 2>;
      return launch_kernel<C::kM, C::kThreads, C::kSmemBytes>(fa_fwd_kernel<Dqk, Dv, 1, 64>, p, s, op, lp, stream);
    }
    case KernelVariant::kOverlap128x128:
    case KernelVariant::kOverlapFp32P128x128:
      if constexpr (Dqk <= 128) {
        using C = Config<Dqk, Dv, 2, 128, 3>;
        return pick_variant(p) == KernelVariant::kOverlap128x128
                   ? launch_kernel<C::kM, C::kThreads, C::kSmemBytes>(fa_fwd_overlap_kernel<Dqk, Dv, true>, p, s, op, lp, stream)
                   : launch_kernel<C::kM, C::kThreads, C::kSmemBytes>(fa_fwd_overlap_kernel<Dqk, Dv, false>, p, s, op, lp, stream);
      } else {
        return cudaErrorInvalidValue;  // refused by flash_attention_check
      }
    default: {
      using C = Config<Dqk, Dv, 2, 128, 2>;
      return launch_kernel<C::kM, C::kThreads, C::kSmemBytes>(fa_fwd_kernel<Dqk, Dv, 2, 128>, p, s, op, lp, stream);
    }
  }
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

}  // namespace
}  // namespace aiconf::flash_attention::detail

namespace aiconf::flash_attention {

const char* flash_attention_check(const FlashAttentionParams& p) {
  if (p.batch < 0 || p.batch > 65535) return "batch: expected 0..65535";
  if (p.seqlen_q < 1) return "seqlen_q: expected >= 1";
  if (p.seqlen_k < 1) return "seqlen_k: expected >= 1";
  if (p.causal && p.seqlen_k < p.seqlen_q) return "seqlen_k: expected >= seqlen_q when causal (keys = prefix + new tokens)";
  if (p.num_kv_heads < 1 || p.num_kv_heads > 65535) return "num_kv_heads: expected 1..65535";
  if (p.num_heads < 1 || p.num_heads % p.num_kv_heads != 0) return "num_heads: expected a positive multiple of num_kv_heads";
  if (static_cast<int64_t>(p.seqlen_q) * (p.num_heads / p.num_kv_heads) > (1 << 30))
    return "seqlen_q * (num_heads / num_kv_heads): expected <= 2^30";
  const bool dims_ok = (p.head_dim_qk == 64 && p.head_dim_v == 64) || (p.head_dim_qk == 128 && p.head_dim_v == 128) ||
                       (p.head_dim_qk == 192 && p.head_dim_v == 128);
  if (!dims_ok) return "head_dim_qk/head_dim_v: expected 64/64, 128/128 or 192/128";
  if (!(p.sm_scale > 0.f) || !std::isfinite(p.sm_scale)) return "sm_scale: expected a positive finite value";
  if (!p.q || !p.k || !p.v || !p.out) return "q, k, v, out: expected non-null device pointers";
  for (const void* ptr : {static_cast<const void*>(p.q), static_cast<const void*>(p.k), static_cast<const void*>(p.v),
                          static_cast<const void*>(p.out)})
    if (reinterpret_cast<uintptr_t>(ptr) % 16 != 0) return "q, k, v, out: expected 16-byte aligned pointers";
  for (int64_t s : {p.k_batch_stride, p.k_head_stride, p.k_row_stride, p.v_batch_stride, p.v_head_stride, p.v_row_stride})
    if (s < 0 || s % 8 != 0) return "k/v strides: expected non-negative multiples of 8 elements (16-byte rows)";
  if (p.k_row_stride < p.head_dim_qk) return "k_row_stride: expected >= head_dim_qk";
  if (p.v_row_stride < p.head_dim_v) return "v_row_stride: expected >= head_dim_v";
  if (p.num_splits < 0) return "num_splits: expected >= 0";
  if ((p.kernel_variant == KernelVariant::kOverlap128x128 || p.kernel_variant == KernelVariant::kOverlapFp32P128x128) &&
      p.head_dim_qk > 128)
    return "kernel_variant: the overlapped kernel needs head_dim_qk <= 128 (3 stages of K/V in shared memory)";
  return nullptr;
}

int flash_attention_num_splits(const FlashAttentionParams& p) {
  if (p.num_splits > 0) return std::min(p.num_splits, 256);
  int sms = p.num_sms;
  if (sms <= 0) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
      sms = 132;
  }
  const bool small = detail::pick_variant(p) == KernelVariant::kSmall64x64;
  const int kM = small ? 64 : 128, kN = small ? 64 : 128, per_sm = small ? 2 : 1;
  const int64_t rows = static_cast<int64_t>(p.seqlen_q) * (p.num_heads / std::max(p.num_kv_heads, 1));
  const int64_t ctas = static_cast<int64_t>(p.batch) * p.num_kv_heads * ((rows + kM - 1) / kM);
  const int64_t slots = static_cast<int64_t>(sms) * per_sm;
  if (ctas <= 0 || ctas * 2 > slots) return 1;  // most of a wave already: splitting only adds work
  const int64_t tiles = (p.seqlen_k + kN - 1) / kN;
  // At least 2 key tiles per split, so each split's query load and fp32 partial pay for themselves.
  // At most 64 splits: the combine kernel walks the splits one after another, so more splits cost
  // more than they bring (H200, b1 kv1 131k keys: 64 splits 55.7 us, 128: 65.3 us, 256: 111 us).
  const int64_t s = std::min<int64_t>(std::min<int64_t>((slots + ctas - 1) / ctas, std::max<int64_t>(tiles / 2, 1)), 64);
  return static_cast<int>(std::max<int64_t>(s, 1));
}

size_t flash_attention_workspace_bytes(const FlashAttentionParams& p) {
  const int s = flash_attention_num_splits(p);
  if (s <= 1) return 0;
  const size_t rows = static_cast<size_t>(s) * p.batch * p.seqlen_q * p.num_heads;
  return detail::align256(rows * p.head_dim_v * sizeof(float)) + detail::align256(rows * sizeof(float));
}

const char* flash_attention_variant(const FlashAttentionParams& p) {
  const KernelVariant v = detail::pick_variant(p);
  const int i = v == KernelVariant::kSmall64x64 ? 0 : v == KernelVariant::kBasic128x128 ? 1 : v == KernelVariant::kOverlap128x128 ? 2 : 3;
  static const char* const names[3][4] = {
      {"fa_wgmma_d64_m64n64", "fa_wgmma_d64_m128n128", "fa_wgmma_overlap_d64_m128n128", "fa_wgmma_overlap_fp32p_d64_m128n128"},
      {"fa_wgmma_d128_m64n64", "fa_wgmma_d128_m128n128", "fa_wgmma_overlap_d128_m128n128", "fa_wgmma_overlap_fp32p_d128_m128n128"},
      {"fa_wgmma_d192v128_m64n64", "fa_wgmma_d192v128_m128n128", "fa_wgmma_overlap_d192v128_m128n128",
       "fa_wgmma_overlap_fp32p_d192v128_m128n128"}};
  return names[p.head_dim_qk == 64 ? 0 : p.head_dim_qk == 128 ? 1 : 2][i];
}

cudaError_t launch_flash_attention(const FlashAttentionParams& p, void* workspace, cudaStream_t stream) {
  if (const char* why = flash_attention_check(p)) {
    std::fprintf(stderr, "launch_flash_attention: %s\n", why);
    return cudaErrorInvalidValue;
  }
  if (p.batch == 0) return cudaSuccess;
  const int s = flash_attention_num_splits(p);
  float* o_partial = nullptr;
  float* lse_partial = nullptr;
  if (s > 1) {
    if (workspace == nullptr) {
      std::fprintf(stderr, "launch_flash_attention: workspace is null but %d splits need %zu bytes\n", s,
                   flash_attention_workspace_bytes(p));
      return cudaErrorInvalidValue;
    }
    const size_t rows = static_cast<size_t>(s) * p.batch * p.seqlen_q * p.num_heads;
    o_partial = static_cast<float*>(workspace);
    lse_partial = reinterpret_cast<float*>(static_cast<char*>(workspace) +
                                           detail::align256(rows * p.head_dim_v * sizeof(float)));
  }
  // One NVTX range per launch (forward kernel + combine), named after the variant.
  nvtxRangePushA(flash_attention_variant(p));
  cudaError_t err;
  if (p.head_dim_qk == 64) err = detail::launch_dims<64, 64>(p, s, o_partial, lse_partial, stream);
  else if (p.head_dim_qk == 128) err = detail::launch_dims<128, 128>(p, s, o_partial, lse_partial, stream);
  else err = detail::launch_dims<192, 128>(p, s, o_partial, lse_partial, stream);
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::flash_attention
