// Seesaw sparse MLA forward (bf16 cache, 64-head tiles): the two math warpgroups take whole key tiles
// in turns instead of halves of every tile, and a third warpgroup gathers.
//
// The head-tile kernel (sparse_mla_wgmma.cu) splits each 64-key tile's Q K^T between its two
// warpgroups (32 keys each), so both read all of Q from shared memory per tile, and both wait for the
// tile's softmax before its P V: its math path alone ran at ~420-440 TFLOP/s (NOTES.md). Here the
// tiles go in pairs (tile 2i in buffer K0, tile 2i+1 in K1) and, with the output columns split as
// before (warpgroup 0 owns O[:, 0:256], warpgroup 1 owns O[:, 256:512]):
//   WG0: S0 = Q K0^T (m64n64), softmax with max m0, O_L += P0 V0_L (P0 from registers)
//   WG1: S1 = Q K1^T,          softmax with max m01 = max(m0, rowmax S1), O_R += P1 V1_R
//   WG1: O_R += P0' V0_R       (P0' = P0 rescaled to m01 by WG0, through shared memory)
//   WG0: O_L += P1 V1_L        (P1 through shared memory; O_L rescaled to m01)
// so Q is read once per 64 keys, every wgmma is m64n64 or m64n256, and one warpgroup's softmax runs
// while the other's wgmma do (the schedule of FlashMLA's sparse prefill kernel, written from its
// description; no code taken). The producer warpgroup gathers each tile in two halves, columns
// [0, 256) and [256, 576), with cp.async, each half signalled on its own mbarrier and refilled as soon
// as its last reader is done (FlashMLA's order: K0 left, K1 right, K0 right, K1 left). P0' lives in
// K0's rope block, which nothing reads after Q K0^T.
#include <cmath>

#include "sparse_mla_seesaw.h"
#include "sparse_mla_tile.cuh"
#include "wgmma_ops.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

using aiconf::plugins::hopper::cp_async_mbar_arrive;
using aiconf::plugins::hopper::fast_exp2;
using aiconf::plugins::hopper::fence_barrier_init;
using aiconf::plugins::hopper::fence_operands;
using aiconf::plugins::hopper::mbar_arrive;
using aiconf::plugins::hopper::mbar_init;
using aiconf::plugins::hopper::mbar_wait;
using aiconf::plugins::hopper::named_barrier_arrive;
using aiconf::plugins::hopper::pack_bf16x2;
using aiconf::plugins::hopper::setmaxnreg_dec;
using aiconf::plugins::hopper::setmaxnreg_inc;
using aiconf::plugins::hopper::wgmma_wait;

constexpr int kThreads = 384;  // math warpgroups 0 and 1, producer warpgroup 2
constexpr int kMath = 256;
// 2 x 216 + 72 = 504 = 3 x 168, the launch's per-thread share. No spills (ptxas -v) with the block loop
// of copy_blocks rolled; unrolled, the producer spills.
constexpr int kMathRegs = 216, kProducerRegs = 72;
constexpr int kTileBytes = kBlockN * kDqk * 2;      // 73728: 9 swizzled blocks of 64 keys x 64 values

/// Shared memory. Offsets from a 1024-byte aligned base (the 128B-swizzle atom).
struct SeesawSmem {
  static constexpr int q = 0;
  static constexpr int k0 = q + kBlockM * kDqk * 2;
  static constexpr int k1 = k0 + kTileBytes;
  static constexpr int p0 = k0 + 8 * 8192;          // P0' (64 x 64 bf16) in K0's rope block
  static constexpr int p1 = k1 + kTileBytes;        // P1 (64 x 64 bf16)
  static constexpr int bars = p1 + kBlockM * kBlockN * 2;
  static constexpr int row_max = bars + 128;        // [64] the latest running max, log2 units
  static constexpr int row_sum = row_max + 256;     // [2 warpgroups][64]
  static constexpr int valid = row_sum + 512;       // [2 tiles][64] bytes
  static constexpr int bytes = valid + 128 + 1024;  // +1024: manual alignment
};
static_assert(SeesawSmem::bytes <= 232448, "exceeds 227 KB of shared memory");

/// The mbarriers: [half] = columns [0, 256) / [256, 576) of a tile buffer.
struct Bars {
  uint64_t k0_ready[2], k1_ready[2];  // the producer's cp.async landed (128 arrivals)
  uint64_t k0_free[2], k1_free[2];    // the last wgmma reading that half retired (128: one warpgroup)
  uint64_t valid_ready;               // the pair's valid-key flags are written (128)
};
static_assert(sizeof(Bars) <= 128, "barrier block");

// Named barriers between the two math warpgroups (id 0 is __syncthreads).
constexpr int kBarQ = 1, kBarMax0 = 2, kBarMax01 = 3, kBarP0 = 4, kBarP1 = 5, kBarSum = 6;

/// S (+)= Q K^T over 64-column blocks [b0, b1) of a key tile (4 k-steps of 16 per block).
__device__ __forceinline__ void qk_blocks(float (&s)[32], uint32_t q_s, uint32_t tile_s, int b0, int b1, bool first) {
#pragma unroll
  for (int b = b0; b < b1; ++b)
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const uint32_t off = b * 8192 + k * 32;
      wgmma_m64n64k16_bf16_ss(s, make_desc_sw128(q_s + off, 16, 1024), make_desc_sw128(tile_s + off, 16, 1024),
                              (first && b == b0 && k == 0) ? 0 : 1);
    }
}

/// O += P V for 64 keys, P in registers (bf16 pairs in the mma A-fragment order), V = columns
/// [256 half, +256) of a tile, read MN-major.
__device__ __forceinline__ void pv_regs(float (&o)[128], const uint32_t (&pa)[16], uint32_t tile_s, int half) {
#pragma unroll
  for (int kk = 0; kk < 4; ++kk) {
    const uint32_t a[4] = {pa[4 * kk], pa[4 * kk + 1], pa[4 * kk + 2], pa[4 * kk + 3]};
    wgmma_m64n256k16_bf16_rs_tb(o, a, make_desc_sw128(tile_s + half * 4 * 8192 + kk * 2048, kMnLbo, kMnSbo));
  }
}

/// O += P V for 64 keys, P from shared memory (64 x 64, K-major, swizzled).
__device__ __forceinline__ void pv_smem(float (&o)[128], uint32_t p_s, uint32_t tile_s, int half) {
#pragma unroll
  for (int kk = 0; kk < 4; ++kk)
    wgmma_m64n256k16_bf16_ss_tb(o, make_desc_sw128(p_s + kk * 32, 16, 1024),
                                make_desc_sw128(tile_s + half * 4 * 8192 + kk * 2048, kMnLbo, kMnSbo), 1);
}

/// S fragment (m64n64: s[4 n8 + 2 i + j] = row row0 + 8 i, key 8 n8 + colq + j) -> -inf where the key
/// slot is empty.
__device__ __forceinline__ void mask_keys(float (&s)[32], const uint8_t* valid, int colq) {
#pragma unroll
  for (int n8 = 0; n8 < 8; ++n8)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      if (valid[n8 * 8 + colq + j] == 0) {
        s[n8 * 4 + j] = -INFINITY;
        s[n8 * 4 + 2 + j] = -INFINITY;
      }
}

/// Row maxima of S (log2 units: times scale_log2) over the 4 lanes that share a row.
__device__ __forceinline__ void row_max_log2(const float (&s)[32], float scale_log2, float (&mx)[2]) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    float m = -INFINITY;
#pragma unroll
    for (int n8 = 0; n8 < 8; ++n8) m = fmaxf(m, fmaxf(s[n8 * 4 + 2 * i], s[n8 * 4 + 2 * i + 1]));
    m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, 1));
    m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, 2));
    mx[i] = m * scale_log2;
  }
}

/// Factor that moves a sum kept relative to max `from` to max `to` (>= from); 0 while `from` is -inf
/// (nothing accumulated yet, and exp2(-inf - -inf) would be NaN).
__device__ __forceinline__ float rescale(float from, float to) { return from == -INFINITY ? 0.f : exp2f(from - to); }

/// P = exp2(S scale_log2 - m) in place (fp32), its bf16 pairs in A-fragment order, and the row sums of
/// the rounded values (the weights that multiply V).
__device__ __forceinline__ void softmax_tile(float (&s)[32], float scale_log2, const float (&m)[2], uint32_t (&pa)[16],
                                             float (&sum)[2]) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const float m_use = m[i] == -INFINITY ? 0.f : m[i];  // an all-empty row: exp2(-inf) = 0, not NaN
    sum[i] = 0.f;
#pragma unroll
    for (int n8 = 0; n8 < 8; ++n8) {
      float& a = s[n8 * 4 + 2 * i];
      float& b = s[n8 * 4 + 2 * i + 1];
      a = fast_exp2(fmaf(a, scale_log2, -m_use));
      b = fast_exp2(fmaf(b, scale_log2, -m_use));
      const uint32_t ab = pack_bf16x2(a, b);
      const float2 r = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&ab));
      sum[i] += r.x + r.y;
      // A fragment of k-step n8 / 2: regs {row0, row0 + 8} x {keys +0..1, +8..9}
      pa[(n8 >> 1) * 4 + (n8 & 1) * 2 + i] = ab;
    }
  }
}

/// Writes bf16 pairs (A-fragment order) as the swizzled 64 x 64 P tile at p_s (row r at r * 128,
/// 16-byte chunk index XOR r % 8).
__device__ __forceinline__ void store_p(const uint32_t (&pa)[16], uint8_t* p_tile, int row0, int colq) {
#pragma unroll
  for (int n8 = 0; n8 < 8; ++n8)
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int r = row0 + 8 * i;
      *reinterpret_cast<uint32_t*>(p_tile + r * 128 + ((n8 ^ (r & 7)) << 4) + colq * 2) =
          pa[(n8 >> 1) * 4 + (n8 & 1) * 2 + i];
    }
}

/// Producer: cp.async of 64-column blocks [b0, b1) of the tile's rows into the swizzled tile. Thread
/// (group g = 0..15, lane l = 0..7) copies 16-byte chunk l of rows g, g + 16, g + 32, g + 48, so 8
/// lanes read 128 contiguous bytes of a row. Empty slots (row < 0) are zero-filled: the wgmma read
/// them, and P = 0 times uninitialised shared memory could be NaN.
__device__ __forceinline__ void copy_blocks(const SparseMlaParams& p, const int (&rows)[4], uint32_t tile_s, int b0,
                                            int b1, int group, int lane8) {
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < 4; ++lr) {
    const int r = lr * 16 + group;
    const bool ok = rows[lr] >= 0;
    const char* src = base + (ok ? static_cast<int64_t>(rows[lr]) * (kDqk * 2) : 0);
#pragma unroll 1
    for (int b = b0; b < b1; ++b) {
      const int c = b * 8 + lane8;
      cp_async_16(tile_s + swz_offset(r, c), src + c * 16, ok ? 16 : 0);
    }
  }
}

__global__ void __launch_bounds__(kThreads, 1)
    sparse_mla_fwd_seesaw_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  using L = SeesawSmem;
  Bars& bars = *reinterpret_cast<Bars*>(smem + L::bars);
  float* s_max = reinterpret_cast<float*>(smem + L::row_max);
  float* s_sum = reinterpret_cast<float*>(smem + L::row_sum);
  uint8_t* s_valid = smem + L::valid;
  const uint32_t q_s = smem_u32(smem + L::q), k0_s = smem_u32(smem + L::k0), k1_s = smem_u32(smem + L::k1);

  const int tid = threadIdx.x;
  // Warpgroup index through a shuffle: provably warp-uniform, so ptxas sees no divergent path around
  // the wgmma (which it would serialise, C7520).
  const int wg = __shfl_sync(0xffffffffu, tid / 128, 0);
  if (tid == 0) {
    for (int h = 0; h < 2; ++h) {
      mbar_init(&bars.k0_ready[h], 128);
      mbar_init(&bars.k1_ready[h], 128);
      mbar_init(&bars.k0_free[h], 128);
      mbar_init(&bars.k1_free[h], 128);
    }
    mbar_init(&bars.valid_ready, 128);
    fence_barrier_init();
  }
  __syncthreads();

  const Work w = decode_work(p, num_splits);
  const int rounds = (w.tile_end - w.tile_begin + 1) / 2;  // tile pairs; an odd count ends on an empty tile

  if (wg == 2) {
    // ---------------- producer warpgroup
    setmaxnreg_dec<kProducerRegs>();
    const int ptid = tid - kMath, group = ptid >> 3, lane8 = ptid & 7;
    for (int r = 0; r < rounds; ++r) {
      const uint32_t free_parity = (r & 1) ^ 1;  // round r - 1's release (a fresh barrier passes)
      // Cache rows of this thread's 4 rows of both tiles (-1: empty slot). 32-bit to save the producer's
      // registers: a cache of 2^31 rows (2.4 TB) is out of reach.
      int rows[2][4];
#pragma unroll
      for (int t = 0; t < 2; ++t)
#pragma unroll
        for (int lr = 0; lr < 4; ++lr)
          rows[t][lr] = static_cast<int>(kv_row_of(p, w.seq, load_index(p, w, w.tile_begin + 2 * r + t, lr * 16 + group)));
      mbar_wait(&bars.k0_free[0], free_parity);
      copy_blocks(p, rows[0], k0_s, 0, 4, group, lane8);
      cp_async_mbar_arrive(&bars.k0_ready[0]);
      mbar_wait(&bars.k1_free[1], free_parity);
      copy_blocks(p, rows[1], k1_s, 4, 9, group, lane8);
      cp_async_mbar_arrive(&bars.k1_ready[1]);
      mbar_wait(&bars.k0_free[1], free_parity);
      copy_blocks(p, rows[0], k0_s, 4, 9, group, lane8);
      cp_async_mbar_arrive(&bars.k0_ready[1]);
      mbar_wait(&bars.k1_free[0], free_parity);
      copy_blocks(p, rows[1], k1_s, 0, 4, group, lane8);
      cp_async_mbar_arrive(&bars.k1_ready[0]);
      // Both math warpgroups have masked round r - 1 (each did so before the releases waited on above).
      if (lane8 == 0)
#pragma unroll
        for (int t = 0; t < 2; ++t)
#pragma unroll
          for (int lr = 0; lr < 4; ++lr) s_valid[t * 64 + lr * 16 + group] = rows[t][lr] >= 0 ? 1 : 0;
      mbar_arrive(&bars.valid_ready);
    }
    return;
  }

  // ---------------- math warpgroups
  setmaxnreg_inc<kMathRegs>();
  const int lane = tid & 31;
  const int row0 = ((tid & 127) >> 5) * 16 + (lane >> 2);  // accumulator rows row0 and row0 + 8
  const int colq = (lane & 3) * 2;
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;

  issue_q(p, w, q_s, tid);
  cp_async_commit();
  cp_async_wait_all();
  fence_proxy_async();
  named_barrier(kBarQ, kMath);

  float o[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) o[i] = 0.f;
  float s[32];
  uint32_t pa[16];
  float m_run[2] = {-INFINITY, -INFINITY};  // running max, log2 units; both groups end on the same value
  float l_run[2] = {0.f, 0.f};              // this thread's share of the row sums, relative to m_run

  if (wg == 0) {
    if (rounds > 0) {
      mbar_wait(&bars.k0_ready[0], 0);
      fence_proxy_async();
      wgmma_fence();
      qk_blocks(s, q_s, k0_s, 0, 4, true);
      mbar_wait(&bars.k0_ready[1], 0);
      fence_proxy_async();
      wgmma_fence();
      qk_blocks(s, q_s, k0_s, 4, 9, false);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(s);
    }
    for (int r = 0; r < rounds; ++r) {
      const uint32_t parity = r & 1;
      mbar_wait(&bars.valid_ready, parity);
      mask_keys(s, s_valid, colq);
      float m0[2], sum[2];
      row_max_log2(s, scale_log2, m0);
#pragma unroll
      for (int i = 0; i < 2; ++i) m0[i] = fmaxf(m0[i], m_run[i]);
      float alpha[2] = {rescale(m_run[0], m0[0]), rescale(m_run[1], m0[1])};
      softmax_tile(s, scale_log2, m0, pa, sum);
      if ((lane & 3) == 0) {
        s_max[row0] = m0[0];
        s_max[row0 + 8] = m0[1];
      }
      named_barrier_arrive(kBarMax0, kMath);
#pragma unroll
      for (int n = 0; n < 32; ++n) {
        o[n * 4 + 0] *= alpha[0];
        o[n * 4 + 1] *= alpha[0];
        o[n * 4 + 2] *= alpha[1];
        o[n * 4 + 3] *= alpha[1];
      }
#pragma unroll
      for (int i = 0; i < 2; ++i) l_run[i] = l_run[i] * alpha[i] + sum[i];
      // O_L += P0 V0_L
      wgmma_fence();
      pv_regs(o, pa, k0_s, 0);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(o);
      mbar_arrive(&bars.k0_free[0]);

      // WG1 has folded S1 into the max: move P0, O_L and the sums to m01, hand P0' over.
      named_barrier(kBarMax01, kMath);
      float f[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const float m01 = s_max[row0 + 8 * i];
        f[i] = rescale(m0[i], m01);
        m_run[i] = m01;
      }
#pragma unroll
      for (int n8 = 0; n8 < 8; ++n8)
#pragma unroll
        for (int i = 0; i < 2; ++i)
          pa[(n8 >> 1) * 4 + (n8 & 1) * 2 + i] = pack_bf16x2(s[n8 * 4 + 2 * i] * f[i], s[n8 * 4 + 2 * i + 1] * f[i]);
      store_p(pa, smem + L::p0, row0, colq);
      fence_proxy_async();
      named_barrier_arrive(kBarP0, kMath);
#pragma unroll
      for (int n = 0; n < 32; ++n) {
        o[n * 4 + 0] *= f[0];
        o[n * 4 + 1] *= f[0];
        o[n * 4 + 2] *= f[1];
        o[n * 4 + 3] *= f[1];
      }
#pragma unroll
      for (int i = 0; i < 2; ++i) l_run[i] *= f[i];
      named_barrier(kBarP1, kMath);
      // O_L += P1 V1_L, overlapped with the next pair's S0 = Q K0^T
      wgmma_fence();
      pv_smem(o, smem_u32(smem + L::p1), k1_s, 0);
      wgmma_commit();
      if (r + 1 < rounds) {
        mbar_wait(&bars.k0_ready[0], parity ^ 1);
        fence_proxy_async();
        wgmma_fence();
        qk_blocks(s, q_s, k0_s, 0, 4, true);
        wgmma_commit();
        wgmma_wait<1>();
        fence_operands(o);
        mbar_arrive(&bars.k1_free[0]);
        mbar_wait(&bars.k0_ready[1], parity ^ 1);
        fence_proxy_async();
        wgmma_fence();
        qk_blocks(s, q_s, k0_s, 4, 9, false);
        wgmma_commit();
        wgmma_wait<0>();
        fence_operands(s);
      } else {
        wgmma_wait<0>();
        fence_operands(o);
        mbar_arrive(&bars.k1_free[0]);
      }
    }
  } else {
    for (int r = 0; r < rounds; ++r) {
      const uint32_t parity = r & 1;
      mbar_wait(&bars.k1_ready[1], parity);
      fence_proxy_async();
      wgmma_fence();
      qk_blocks(s, q_s, k1_s, 4, 9, true);
      mbar_wait(&bars.k1_ready[0], parity);
      fence_proxy_async();
      wgmma_fence();
      qk_blocks(s, q_s, k1_s, 0, 4, false);
      wgmma_commit();
      wgmma_wait<0>();
      fence_operands(s);
      mbar_wait(&bars.valid_ready, parity);
      mask_keys(s, s_valid + 64, colq);
      float m01[2], sum[2];
      row_max_log2(s, scale_log2, m01);
      named_barrier(kBarMax0, kMath);
#pragma unroll
      for (int i = 0; i < 2; ++i) m01[i] = fmaxf(m01[i], s_max[row0 + 8 * i]);
      __syncwarp();  // every lane of the row has read m0 before it is overwritten
      if ((lane & 3) == 0) {
        s_max[row0] = m01[0];
        s_max[row0 + 8] = m01[1];
      }
      named_barrier_arrive(kBarMax01, kMath);
      float alpha[2] = {rescale(m_run[0], m01[0]), rescale(m_run[1], m01[1])};
      softmax_tile(s, scale_log2, m01, pa, sum);
#pragma unroll
      for (int n = 0; n < 32; ++n) {
        o[n * 4 + 0] *= alpha[0];
        o[n * 4 + 1] *= alpha[0];
        o[n * 4 + 2] *= alpha[1];
        o[n * 4 + 3] *= alpha[1];
      }
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        l_run[i] = l_run[i] * alpha[i] + sum[i];
        m_run[i] = m01[i];
      }
      // O_R += P1 V1_R; P1 to shared memory for WG0; then O_R += P0' V0_R
      wgmma_fence();
      pv_regs(o, pa, k1_s, 1);
      wgmma_commit();
      store_p(pa, smem + L::p1, row0, colq);
      named_barrier(kBarP0, kMath);
      pv_smem(o, smem_u32(smem + L::p0), k0_s, 1);
      wgmma_commit();
      fence_proxy_async();
      named_barrier_arrive(kBarP1, kMath);
      wgmma_wait<1>();
      mbar_arrive(&bars.k1_free[1]);
      wgmma_wait<0>();
      fence_operands(o);
      mbar_arrive(&bars.k0_free[1]);
    }
  }

  // ---- epilogue: row sums over the 4 lanes of a row and both warpgroups
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 1);
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 2);
  }
  if ((lane & 3) == 0) {
    s_sum[wg * 64 + row0] = l_run[0];
    s_sum[wg * 64 + row0 + 8] = l_run[1];
  }
  named_barrier(kBarSum, kMath);
  float inv[2], lse[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = row0 + 8 * i;
    const float total = s_sum[r] + s_sum[64 + r];
    inv[i] = total > 0.f ? 1.f / total : 0.f;
    lse[i] = total > 0.f ? (m_run[i] + log2f(total)) * 0.6931471805599453f : -INFINITY;
  }
  store_o_half(p, w, num_splits, o, inv, lse, wg, row0, colq, wg == 0 && (lane & 3) == 0, o_partial, lse_partial);
}

}  // namespace

cudaError_t launch_seesaw_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                              cudaStream_t stream) {
  if (p.kv_format != KvCacheFormat::kBf16) return cudaErrorInvalidValue;
  cudaError_t err = cudaFuncSetAttribute(sparse_mla_fwd_seesaw_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         SeesawSmem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  sparse_mla_fwd_seesaw_kernel<<<static_cast<unsigned>(blocks), kThreads, SeesawSmem::bytes, stream>>>(
      p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace aiconf::sparse_mla::detail
