// Fast sparse MLA forward: one CTA = 64 heads of one query token (and one split of its top-k list).
//
// Two consumer warpgroups (256 threads) share every gathered KV tile of 64 keys:
//   S = Q K^T : warpgroup w computes the 64 heads x keys [32w, 32w+32) (wgmma m64n32k16, 36 k-steps)
//   softmax   : the row maxima are exchanged through shared memory so both groups use one running max
//   O += P V  : P (64x64 bf16) goes through shared memory; warpgroup w owns output columns
//               [256w, 256w+256) (wgmma m64n256k16, V read MN-major straight from the same tile)
// Splitting O by columns keeps the accumulator at 128 registers per thread; splitting S by keys
// keeps both groups busy without computing anything twice.
// The gather of tile j+1 (cp.async, 16 B per request, rows scattered) overlaps the math of tile j.
// FP8 cache: the raw 656-byte rows of tile j+1 come through registers (16-byte loads, issued one
// phase ahead) and are dequantized to bf16 into the other tile buffer while the tensor cores run
// tile j's asynchronous wgmma: half of each row during QK, the other half during PV. The
// conversions (about as long as the MMA per tile, see NOTES.md) thus overlap the math instead of
// following it, and both formats use the same double-buffered shared memory.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nvtx3/nvToolsExt.h>

#include "sparse_mla_common.cuh"
#include "sparse_mla_narrow.h"
#include "sparse_mla_producer.h"
#include "sparse_mla_tile.cuh"
#include "wgmma_ops.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

constexpr int kThreads = 256;
constexpr int kQBytes = kBlockM * kDqk * 2;     // 73728: 9 swizzled blocks of 64 x 64 bf16
constexpr int kTileBytes = kBlockN * kDqk * 2;  // 73728
constexpr int kPBytes = kBlockM * kBlockN * 2;  // 8192
constexpr int kSmallBytes = 3 * 512;                 // row max x2, row sum x2, valid flags x2 stages

/// 2^x with the MUFU approximation (rel. error ~2^-22, far below the bf16 rounding of P).
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

/// Shared memory: Q, two bf16 key tiles (double buffer), P, and the small per-row arrays.
struct Smem {
  static constexpr int q = 0;
  static constexpr int tile0 = kQBytes;
  static constexpr int tile1 = tile0 + kTileBytes;
  static constexpr int p = tile1 + kTileBytes;
  static constexpr int small = p + kPBytes;
  static constexpr int bytes = small + kSmallBytes + 1024;  // +1024: manual alignment
};
static_assert(Smem::bytes <= 232448, "exceeds 227 KB of shared memory");

/// The piece of an FP8 key tile one thread loads and dequantizes: row `row` (tid / 4), latent
/// chunks first + 4 s (s = 0..3, 16 e4m3 values each) and rope chunk `rope` (8 bf16 values). A
/// thread covers its quarter of a row with two pieces, h = 0 and 1, so a warp's 16-byte loads read
/// 64 contiguous bytes from each of 8 rows.
struct Fp8Piece {
  int row, first, rope;
};

__device__ __forceinline__ Fp8Piece fp8_piece(int tid, int h) {
  const int sub = tid & 3;
  return {tid >> 2, 16 * h + sub, 4 * h + sub};
}

/// A loaded piece, held in registers between the load and the dequantization.
struct Fp8Raw {
  uint4 latent[4];
  uint4 rope;
  float4 scales;  // one per 128 latent values: chunk c uses scales[c / 8]
};

/// Loads piece `pc` of cache row `cache_row` (zeros when cache_row < 0: a skipped slot).
/// Read-only 16-byte loads: the rows are scattered, so there is nothing for L1 to reuse.
__device__ __forceinline__ void load_fp8_piece(const SparseMlaParams& p, int64_t cache_row, const Fp8Piece& pc,
                                               Fp8Raw& x) {
  if (cache_row < 0) {
#pragma unroll
    for (int s = 0; s < 4; ++s) x.latent[s] = make_uint4(0, 0, 0, 0);
    x.rope = make_uint4(0, 0, 0, 0);
    x.scales = make_float4(0.f, 0.f, 0.f, 0.f);
    return;
  }
  const uint8_t* src = static_cast<const uint8_t*>(p.kv_cache) + cache_row * kFp8RowBytes;
#pragma unroll
  for (int s = 0; s < 4; ++s) x.latent[s] = __ldg(reinterpret_cast<const uint4*>(src + (pc.first + 4 * s) * 16));
  x.scales = __ldg(reinterpret_cast<const float4*>(src + kFp8LatentBytes));
  x.rope = __ldg(reinterpret_cast<const uint4*>(src + kFp8LatentBytes + kFp8ScaleBytes + pc.rope * 16));
}

__device__ __forceinline__ float scale_of_chunk(const float4& sc, int c) {
  const int g = c >> 3;
  return g == 0 ? sc.x : g == 1 ? sc.y : g == 2 ? sc.z : sc.w;
}

/// 16 e4m3 values times `scale` -> 16 bf16 values (each rounded once from the fp32 product, as the
/// reference does).
__device__ __forceinline__ void dequant16(const uint4& raw, float scale, uint4& lo, uint4& hi) {
  const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
  uint32_t out[8];
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const __nv_bfloat162 a = dequant_fp8x2(static_cast<uint16_t>(words[k] & 0xFFFF), scale);
    const __nv_bfloat162 b = dequant_fp8x2(static_cast<uint16_t>(words[k] >> 16), scale);
    out[2 * k] = *reinterpret_cast<const uint32_t*>(&a);
    out[2 * k + 1] = *reinterpret_cast<const uint32_t*>(&b);
  }
  lo = make_uint4(out[0], out[1], out[2], out[3]);
  hi = make_uint4(out[4], out[5], out[6], out[7]);
}

__device__ __forceinline__ void st_shared_v4(uint32_t addr, const uint4& v) {
  asm volatile("st.shared.v4.u32 [%0], {%1, %2, %3, %4};\n" ::"r"(addr), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
               : "memory");
}

/// Dequantizes a loaded piece into its row of the swizzled bf16 tile at `tile` (shared address).
__device__ __forceinline__ void store_fp8_piece(const Fp8Raw& x, const Fp8Piece& pc, uint32_t tile) {
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    const int c = pc.first + 4 * s;  // latent values [16c, 16c + 16) = bf16 chunks 2c, 2c + 1
    uint4 lo, hi;
    dequant16(x.latent[s], scale_of_chunk(x.scales, c), lo, hi);
    st_shared_v4(tile + swz_offset(pc.row, 2 * c), lo);
    st_shared_v4(tile + swz_offset(pc.row, 2 * c + 1), hi);
  }
  st_shared_v4(tile + swz_offset(pc.row, 64 + pc.rope), x.rope);  // bf16 rope values
}

template <bool kFp8>
__global__ void __launch_bounds__(kThreads, 1)
    sparse_mla_fwd_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  using L = Smem;
  float* s_max = reinterpret_cast<float*>(smem + L::small);  // [2][64]
  float* s_sum = s_max + 128;                                 // [2][64]
  int* s_valid = reinterpret_cast<int*>(s_sum + 128);         // [2 stages][64]

  const int tid = threadIdx.x;
  const int wg = tid >> 7;               // warpgroup 0/1
  const int wtid = tid & 127;
  const int lane = tid & 31;
  const int row0 = (wtid >> 5) * 16 + (lane >> 2);  // accumulator rows row0 and row0 + 8
  const int colq = (lane & 3) * 2;                   // column pair inside each 8-column group

  const Work w = decode_work(p, num_splits);
  const uint32_t q_s = smem_u32(smem + L::q);
  const uint32_t p_s = smem_u32(smem + L::p);
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;

  float o[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) o[i] = 0.f;
  float m_run[2] = {-INFINITY, -INFINITY};
  float l_run[2] = {0.f, 0.f};  // partial sums over this thread's columns

  issue_q(p, w, q_s, tid);
  // FP8: the first tile is dequantized up front; afterwards `raw0` holds piece 0 of the next tile
  // (loaded one phase ahead, so its latency hides behind the math) and `row_next` the cache row of
  // this thread's row of that tile.
  const Fp8Piece pieces[2] = {fp8_piece(tid, 0), fp8_piece(tid, 1)};
  const int my_row = tid >> 2;
  const bool writes_valid = kFp8 && (tid & 3) == 0;  // one thread per row
  Fp8Raw raw0;
  int64_t row_next = -1;
  if (w.tile_begin < w.tile_end) {
    const int idx = load_index(p, w, w.tile_begin, my_row);
    if constexpr (kFp8) {
      const int64_t row = kv_row_of(p, w.seq, idx);
      const uint32_t tile = smem_u32(smem + L::tile0);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        Fp8Raw x;
        load_fp8_piece(p, row, pieces[h], x);
        store_fp8_piece(x, pieces[h], tile);
      }
      if (writes_valid) s_valid[my_row] = row >= 0 ? 1 : 0;
      row_next = kv_row_of(p, w.seq, load_index(p, w, w.tile_begin + 1, my_row));
      load_fp8_piece(p, row_next, pieces[0], raw0);
    } else {
      issue_tile_bf16(p, w, idx, smem_u32(smem + L::tile0), s_valid, tid);
    }
  }
  cp_async_commit();
  int next_idx = load_index(p, w, w.tile_begin + (kFp8 ? 2 : 1), my_row);

  for (int t = w.tile_begin, it = 0; t < w.tile_end; ++t, ++it) {
    const int stage = it & 1;
    const uint32_t tile_s = smem_u32(smem + (stage ? L::tile1 : L::tile0));
    const uint32_t other_tile = smem_u32(smem + (stage ? L::tile0 : L::tile1));
    const bool has_next = t + 1 < w.tile_end;
    cp_async_wait_all();
    fence_proxy_async();  // this thread's generic-proxy tile writes (FP8) before the wgmma read them
    __syncthreads();      // tile `stage` complete; the other buffer's wgmma have all retired
    if constexpr (!kFp8) {
      if (has_next) issue_tile_bf16(p, w, next_idx, other_tile, s_valid + 64 * (stage ^ 1), tid);
      cp_async_commit();
      next_idx = load_index(p, w, t + 2, my_row);
    }
    const int* valid = s_valid + 64 * stage;

    // ---- S = Q K^T for keys [32 wg, 32 wg + 32)
    float s[16];
#ifdef AICONF_SMLA_DEBUG_NO_MMA  // timing experiment only: results are garbage
#pragma unroll
    for (int i = 0; i < 16; ++i) s[i] = 0.f;
    if (false)
#endif
    {
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kDqk / 16; ++kk) {
      const uint32_t koff = (kk >> 2) * 8192 + (kk & 3) * 32;
      wgmma_m64n32k16_bf16_ss(s, make_desc_sw128(q_s + koff, 16, 1024),
                              make_desc_sw128(tile_s + koff + wg * 4096, 16, 1024), kk > 0);
    }
    wgmma_commit();
    }
    // FP8, while QK runs: dequantize piece 0 of the next tile, then load its piece 1.
    Fp8Raw raw1;
    if constexpr (kFp8) {
      if (has_next) {
        store_fp8_piece(raw0, pieces[0], other_tile);
        if (writes_valid) s_valid[64 * (stage ^ 1) + my_row] = row_next >= 0 ? 1 : 0;
        load_fp8_piece(p, row_next, pieces[1], raw1);
      }
    }
    wgmma_wait_all();

    // ---- mask skipped keys, row maxima over both warpgroups
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
    if ((lane & 3) == 0) {
      s_max[wg * 64 + row0] = mx[0];
      s_max[wg * 64 + row0 + 8] = mx[1];
    }
    named_barrier(1, kThreads);
    float alpha[2], m_use[2], m_scaled[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float other = s_max[(wg ^ 1) * 64 + row0 + 8 * i];
      const float m_new = fmaxf(m_run[i], fmaxf(mx[i], other));
      // All keys so far skipped: keep exponents finite (exp2(-inf) = 0, never -inf - -inf).
      m_use[i] = m_new == -INFINITY ? 0.f : m_new;
      alpha[i] = exp2f((m_run[i] - m_use[i]) * scale_log2);
      m_run[i] = m_new;
      l_run[i] *= alpha[i];
      m_scaled[i] = m_use[i] * scale_log2;
    }

    // ---- P = exp(scale (S - m)) as bf16 into the swizzled P tile (64 rows x 64 keys, K-major)
    uint8_t* p_tile = smem + L::p;
#pragma unroll
    for (int n8 = 0; n8 < 4; ++n8) {
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const float p0 = fast_exp2(fmaf(s[n8 * 4 + i * 2 + 0], scale_log2, -m_scaled[i]));
        const float p1 = fast_exp2(fmaf(s[n8 * 4 + i * 2 + 1], scale_log2, -m_scaled[i]));
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
    named_barrier(2, kThreads);

    // ---- O[:, 256 wg : 256 wg + 256] += P V ; V = latent columns of the same tile, MN-major
#ifdef AICONF_SMLA_DEBUG_NO_MMA
    if (false)
#endif
    {
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kBlockN / 16; ++kk) {
      wgmma_m64n256k16_bf16_ss_tb(o, make_desc_sw128(p_s + kk * 32, 16, 1024),
                                  make_desc_sw128(tile_s + wg * 4 * 8192 + kk * 2048, kMnLbo, kMnSbo), 1);
    }
    wgmma_commit();
    }
    // FP8, while PV runs: load piece 0 of the tile after next, then dequantize piece 1 of the next.
    if constexpr (kFp8) {
      if (has_next) {
        const int64_t row_after = kv_row_of(p, w.seq, next_idx);  // -1 past the split's last tile
        next_idx = load_index(p, w, t + 3, my_row);
        if (t + 2 < w.tile_end) load_fp8_piece(p, row_after, pieces[0], raw0);
        store_fp8_piece(raw1, pieces[1], other_tile);
        row_next = row_after;
      }
    }
    wgmma_wait_all();
  }

  cp_async_wait_all();  // an empty split still issued its query tile

  // ---- epilogue: total row sums over the 4 lanes of a row and both warpgroups
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 1);
    l_run[i] += __shfl_xor_sync(0xffffffffu, l_run[i], 2);
  }
  if ((lane & 3) == 0) {
    s_sum[wg * 64 + row0] = l_run[0];
    s_sum[wg * 64 + row0 + 8] = l_run[1];
  }
  __syncthreads();
  float inv[2], lse[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = row0 + 8 * i;
    const float total = s_sum[r] + s_sum[64 + r];
    inv[i] = total > 0.f ? 1.f / total : 0.f;
    lse[i] = total > 0.f ? m_run[i] * p.sm_scale + logf(total) : -INFINITY;
  }

  store_o_half(p, w, num_splits, o, inv, lse, wg, row0, colq, wg == 0 && (lane & 3) == 0, o_partial, lse_partial);
}

/// Merges the split partials: out = sum_s exp(lse_s - lse) * o_s, lse = log sum_s exp(lse_s).
/// One CTA of 128 threads per (token, head); each thread owns 4 of the 512 columns.
__global__ void __launch_bounds__(128) sparse_mla_combine_kernel(const SparseMlaParams p, int num_splits,
                                                                 const float* o_partial, const float* lse_partial) {
  const int64_t th = blockIdx.x;
  const int64_t split_stride = static_cast<int64_t>(p.num_tokens) * p.num_heads;
  float m = -INFINITY;
  for (int s = 0; s < num_splits; ++s) m = fmaxf(m, lse_partial[s * split_stride + th]);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  float denom = 0.f;
  if (m != -INFINITY) {
    for (int s = 0; s < num_splits; ++s) {
      const float ls = lse_partial[s * split_stride + th];
      if (ls == -INFINITY) continue;
      const float wgt = __expf(ls - m);
      denom += wgt;
      const float4 v = *reinterpret_cast<const float4*>(o_partial + (s * split_stride + th) * kDv + threadIdx.x * 4);
      acc[0] += wgt * v.x;
      acc[1] += wgt * v.y;
      acc[2] += wgt * v.z;
      acc[3] += wgt * v.w;
    }
  }
  const float inv = denom > 0.f ? 1.f / denom : 0.f;
  __nv_bfloat16* dst = p.out + th * kDv + threadIdx.x * 4;
  reinterpret_cast<__nv_bfloat162*>(dst)[0] = __floats2bfloat162_rn(acc[0] * inv, acc[1] * inv);
  reinterpret_cast<__nv_bfloat162*>(dst)[1] = __floats2bfloat162_rn(acc[2] * inv, acc[3] * inv);
  if (p.lse != nullptr && threadIdx.x == 0) p.lse[th] = denom > 0.f ? m + logf(denom) : -INFINITY;
}

template <bool kFp8>
cudaError_t launch_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                       cudaStream_t stream) {
  // Raising the dynamic shared-memory limit is per function and idempotent; doing it every call
  // keeps the launch free of static state (cheap next to a kernel).
  cudaError_t err = cudaFuncSetAttribute(sparse_mla_fwd_kernel<kFp8>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         Smem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  sparse_mla_fwd_kernel<kFp8><<<static_cast<unsigned>(blocks), kThreads, Smem::bytes, stream>>>(
      p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

cudaError_t launch_combine(const SparseMlaParams& p, int num_splits, const float* o_partial, const float* lse_partial,
                           cudaStream_t stream) {
  sparse_mla_combine_kernel<<<static_cast<unsigned>(static_cast<int64_t>(p.num_tokens) * p.num_heads), 128, 0,
                              stream>>>(p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace
}  // namespace aiconf::sparse_mla::detail

namespace aiconf::sparse_mla {

int sparse_mla_num_splits(const SparseMlaParams& p) {
  if (p.num_splits > 0) return p.num_splits;
  int sms = p.num_sms;
  if (sms <= 0) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
      sms = 132;
  }
  const int64_t ctas = static_cast<int64_t>(p.num_tokens) * ((p.num_heads + 63) / 64);
  const int tiles = (p.topk + 63) / 64;
  if (ctas <= 0 || ctas * 2 > sms) return 1;  // a full wave already (or close): splitting only adds work
  // At least 2 tiles of 64 keys per split: one-tile splits pay the query load and the fp32 partials
  // for too little math (H200 sweep, results/split_sweep_h200.txt: 16 splits beat 32 at batch 1-4).
  const int64_t s = std::min<int64_t>(std::min<int64_t>(sms / ctas, std::max(tiles / 2, 1)), 64);
  return static_cast<int>(std::max<int64_t>(s, 1));
}

size_t sparse_mla_workspace_bytes(const SparseMlaParams& p) {
  const int s = sparse_mla_num_splits(p);
  if (s <= 1) return 0;
  const size_t rows = static_cast<size_t>(s) * p.num_tokens * p.num_heads;
  const size_t o_bytes = (rows * detail::kDv * sizeof(float) + 255) / 256 * 256;
  return o_bytes + (rows * sizeof(float) + 255) / 256 * 256;
}

cudaError_t launch_sparse_mla(const SparseMlaParams& p, void* workspace, cudaStream_t stream) {
  if (const char* why = sparse_mla_check(p)) {
    std::fprintf(stderr, "launch_sparse_mla: %s\n", why);
    return cudaErrorInvalidValue;
  }
  if (p.num_tokens == 0) return cudaSuccess;
  const int s = sparse_mla_num_splits(p);
  float* o_partial = nullptr;
  float* lse_partial = nullptr;
  if (s > 1) {
    if (workspace == nullptr) {
      std::fprintf(stderr, "launch_sparse_mla: workspace is null but %d splits need %zu bytes\n", s,
                   sparse_mla_workspace_bytes(p));
      return cudaErrorInvalidValue;
    }
    const size_t rows = static_cast<size_t>(s) * p.num_tokens * p.num_heads;
    o_partial = static_cast<float*>(workspace);
    lse_partial = reinterpret_cast<float*>(static_cast<char*>(workspace) +
                                           (rows * detail::kDv * sizeof(float) + 255) / 256 * 256);
  }
  nvtxRangePushA(p.kv_format == KvCacheFormat::kBf16 ? "sparse_mla_fwd_bf16" : "sparse_mla_fwd_fp8");
  cudaError_t err;
  const SparseMlaKernel kernel = sparse_mla_kernel(p);
  if (kernel == SparseMlaKernel::kNarrowHeads)
    err = detail::launch_narrow_fwd(p, s, o_partial, lse_partial, stream);
  else if (p.kv_format == KvCacheFormat::kBf16)
#ifdef AICONF_SMLA_BF16_INLINE_GATHER  // A/B timing: the bf16 path with the gather in the math warps
    err = detail::launch_fwd<false>(p, s, o_partial, lse_partial, stream);
#else
    err = detail::launch_producer_fwd(p, s, o_partial, lse_partial, stream);
#endif
  else
    err = detail::launch_fwd<true>(p, s, o_partial, lse_partial, stream);
  if (err == cudaSuccess && s > 1) err = detail::launch_combine(p, s, o_partial, lse_partial, stream);
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::sparse_mla
