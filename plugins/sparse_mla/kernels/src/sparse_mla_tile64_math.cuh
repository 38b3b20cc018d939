// The per-tile math of the 64-head-tile kernel (sparse_mla_producer.cu; a producer warpgroup fills
// the tiles, gathering bf16 rows or dequantizing FP8 ones). Two math warpgroups
// (threads 0..255) share every 64-key tile:
//   S = Q K^T : warpgroup w computes the 64 heads x keys [32w, 32w+32) (wgmma m64n32k16, 36 k-steps)
//   softmax   : the row maxima are exchanged through shared memory so both groups use one running max
//   O += P V  : P (64x64 bf16) goes through shared memory; warpgroup w owns output columns
//               [256w, 256w+256) (wgmma m64n256k16, V read MN-major straight from the same tile)
// Splitting O by columns keeps the accumulator at 128 registers per thread; splitting S by keys
// keeps both groups busy without computing anything twice.
#pragma once
#include <cmath>

#include "sparse_mla_tile.cuh"
#include "wgmma_ops.cuh"

namespace aiconf::sparse_mla::detail {

/// Where a math thread's accumulator fragments sit: warpgroup, lane, rows row0 / row0 + 8, and the
/// column pair colq inside each 8-column group.
struct MathThread {
  int wg, lane, row0, colq;
};

__device__ __forceinline__ MathThread math_thread(int tid) {
  const int lane = tid & 31;
  return {tid >> 7, lane, ((tid & 127) >> 5) * 16 + (lane >> 2), (lane & 3) * 2};
}

/// Issues S = Q K^T for this warpgroup's 32 keys of the tile (committed, not waited for).
__device__ __forceinline__ void issue_qk(float (&s)[16], uint32_t q_s, uint32_t tile_s, int wg) {
#ifdef AICONF_SMLA_DEBUG_NO_MMA  // timing experiment only: results are garbage
#pragma unroll
  for (int i = 0; i < 16; ++i) s[i] = 0.f;
  return;
#endif
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < kDqk / 16; ++kk) {
    const uint32_t koff = (kk >> 2) * 8192 + (kk & 3) * 32;
    wgmma_m64n32k16_bf16_ss(s, make_desc_sw128(q_s + koff, 16, 1024),
                            make_desc_sw128(tile_s + koff + wg * 4096, 16, 1024), kk > 0);
  }
  wgmma_commit();
}

/// After the QK wait: masks empty key slots (`valid`, 64 flags of the tile), exchanges the row
/// maxima with the other warpgroup (s_max [2][64], named barrier 1 over both groups), moves the
/// running max, sums and O to it, and writes P = exp(scale (S - m)) as bf16 into the swizzled P tile
/// (64 rows x 64 keys, K-major). Ends with the proxy fence and named barrier 2: P is complete.
__device__ __forceinline__ void softmax_to_p(float (&s)[16], float (&o)[128], float (&m_run)[2], float (&l_run)[2],
                                             const int* valid, float* s_max, uint8_t* p_tile, float scale_log2,
                                             const MathThread& mt) {
  const int wg = mt.wg, row0 = mt.row0, colq = mt.colq;
  float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int n8 = 0; n8 < 4; ++n8) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const bool ok = valid[wg * 32 + n8 * 8 + colq + j] != 0;
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        float& v = s[n8 * 4 + i * 2 + j];
        v = ok ? v : -INFINITY;
        mx[i] = fmaxf(mx[i], v);
      }
    }
  }
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
  }
  if ((mt.lane & 3) == 0) {
    s_max[wg * 64 + row0] = mx[0];
    s_max[wg * 64 + row0 + 8] = mx[1];
  }
  named_barrier(1, 256);
  float alpha[2], m_scaled[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const float other = s_max[(wg ^ 1) * 64 + row0 + 8 * i];
    const float m_new = fmaxf(m_run[i], fmaxf(mx[i], other));
    // All keys so far skipped: keep exponents finite (exp2(-inf) = 0, never -inf - -inf).
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    alpha[i] = exp2f((m_run[i] - m_use) * scale_log2);
    m_run[i] = m_new;
    l_run[i] *= alpha[i];
    m_scaled[i] = m_use * scale_log2;
  }
#pragma unroll
  for (int n8 = 0; n8 < 4; ++n8) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float p0 = aiconf::plugins::hopper::fast_exp2(fmaf(s[n8 * 4 + i * 2 + 0], scale_log2, -m_scaled[i]));
      const float p1 = aiconf::plugins::hopper::fast_exp2(fmaf(s[n8 * 4 + i * 2 + 1], scale_log2, -m_scaled[i]));
      const __nv_bfloat162 pb = __floats2bfloat162_rn(p0, p1);
      // Sum the rounded values: the same weights that multiply V.
      const float2 pr = __bfloat1622float2(pb);
      l_run[i] += pr.x + pr.y;
      const int r = row0 + 8 * i;
      const int key = wg * 32 + n8 * 8 + colq;
      *reinterpret_cast<__nv_bfloat162*>(p_tile + r * 128 + ((((key >> 3) ^ (r & 7))) << 4) + (key & 7) * 2) = pb;
    }
  }
  // Once the running maxima settle, alpha is exactly 1 for whole warps: skip the 128 multiplies.
  if (__any_sync(0xffffffffu, alpha[0] != 1.f || alpha[1] != 1.f)) {
#pragma unroll
    for (int n = 0; n < 32; ++n) {
      o[n * 4 + 0] *= alpha[0];
      o[n * 4 + 1] *= alpha[0];
      o[n * 4 + 2] *= alpha[1];
      o[n * 4 + 3] *= alpha[1];
    }
  }
  fence_proxy_async();
  named_barrier(2, 256);
}

/// Issues O[:, 256 wg : 256 wg + 256] += P V (V = latent columns of the tile, MN-major); committed.
__device__ __forceinline__ void issue_pv(float (&o)[128], uint32_t p_s, uint32_t tile_s, int wg) {
#ifdef AICONF_SMLA_DEBUG_NO_MMA
  return;
#endif
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < kBlockN / 16; ++kk) {
    wgmma_m64n256k16_bf16_ss_tb(o, make_desc_sw128(p_s + kk * 32, 16, 1024),
                                make_desc_sw128(tile_s + wg * 4 * 8192 + kk * 2048, kMnLbo, kMnSbo), 1);
  }
  wgmma_commit();
}

/// Epilogue, part 1: the total row sums of rows row0 and row0 + 8 over the 4 lanes of a row and both
/// warpgroups (s_sum [2][64], named barrier 3 over both groups), as 1 / sum (0 for an empty row) and
/// the natural-log lse (-inf for an empty row).
__device__ __forceinline__ void row_totals(const SparseMlaParams& p, const float (&m_run)[2], float (&l_run)[2],
                                           float* s_sum, const MathThread& mt, float (&inv)[2], float (&lse)[2]) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 1);
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 2);
  }
  if ((mt.lane & 3) == 0) {
    s_sum[mt.wg * 64 + mt.row0] = l_run[0];
    s_sum[mt.wg * 64 + mt.row0 + 8] = l_run[1];
  }
  named_barrier(3, 256);
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = mt.row0 + 8 * i;
    const float total = s_sum[r] + s_sum[64 + r];
    inv[i] = total > 0.f ? 1.f / total : 0.f;
    lse[i] = total > 0.f ? m_run[i] * p.sm_scale + logf(total) : -INFINITY;
  }
}

/// Epilogue: row_totals, then the normalized output and lse straight from the accumulators
/// (store_o_half: bf16 out with one split, else the split's fp32 partials).
__device__ __forceinline__ void finish_tile64(const SparseMlaParams& p, const Work& w, int num_splits,
                                              const float (&o)[128], const float (&m_run)[2], float (&l_run)[2],
                                              float* s_sum, const MathThread& mt, float* o_partial,
                                              float* lse_partial) {
  float inv[2], lse[2];
  row_totals(p, m_run, l_run, s_sum, mt, inv, lse);
  store_o_half(p, w, num_splits, o, inv, lse, mt.wg, mt.row0, mt.colq, mt.wg == 0 && (mt.lane & 3) == 0, o_partial,
               lse_partial);
}

}  // namespace aiconf::sparse_mla::detail
