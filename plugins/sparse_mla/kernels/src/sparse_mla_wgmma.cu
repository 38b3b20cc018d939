// Fast sparse MLA forward, FP8 cache: one CTA = 64 heads of one query token (and one split of its
// top-k list); two warpgroups share every 64-key tile with the math of sparse_mla_tile64_math.cuh.
// The raw 656-byte rows of tile j+1 come through registers (16-byte loads, issued one phase ahead)
// and are dequantized to bf16 into the other tile buffer while the tensor cores run tile j's
// asynchronous wgmma: half of each row during QK, the other half during PV. The conversions (about
// as long as the MMA per tile, see NOTES.md) thus overlap the math instead of following it.
// The bf16 cache has its own kernel (sparse_mla_producer.cu: the same math, the gather in a producer
// warpgroup); this file also holds the split-KV combine kernel and the launch that picks the kernel.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nvtx3/nvToolsExt.h>

#include "sparse_mla_common.cuh"
#include "sparse_mla_narrow.h"
#include "sparse_mla_producer.h"
#include "sparse_mla_tile64_math.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

constexpr int kThreads = 256;
constexpr int kQBytes = kBlockM * kDqk * 2;     // 73728: 9 swizzled blocks of 64 x 64 bf16
constexpr int kTileBytes = kBlockN * kDqk * 2;  // 73728
constexpr int kPBytes = kBlockM * kBlockN * 2;  // 8192
constexpr int kSmallBytes = 3 * 512;                 // row max x2, row sum x2, valid flags x2 stages

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

__global__ void __launch_bounds__(kThreads, 1)
    sparse_mla_fwd_fp8_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  using L = Smem;
  float* s_max = reinterpret_cast<float*>(smem + L::small);  // [2][64]
  float* s_sum = s_max + 128;                                 // [2][64]
  int* s_valid = reinterpret_cast<int*>(s_sum + 128);         // [2 stages][64]

  const int tid = threadIdx.x;
  const MathThread mt = math_thread(tid);
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
  // The first tile is dequantized up front; afterwards `raw0` holds piece 0 of the next tile (loaded
  // one phase ahead, so its latency hides behind the math) and `row_next` the cache row of this
  // thread's row of that tile.
  const Fp8Piece pieces[2] = {fp8_piece(tid, 0), fp8_piece(tid, 1)};
  const int my_row = tid >> 2;
  const bool writes_valid = (tid & 3) == 0;  // one thread per row
  Fp8Raw raw0;
  int64_t row_next = -1;
  if (w.tile_begin < w.tile_end) {
    const int64_t row = kv_row_of(p, w.seq, load_index(p, w, w.tile_begin, my_row));
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
  }
  cp_async_commit();
  int next_idx = load_index(p, w, w.tile_begin + 2, my_row);

  for (int t = w.tile_begin, it = 0; t < w.tile_end; ++t, ++it) {
    const int stage = it & 1;
    const uint32_t tile_s = smem_u32(smem + (stage ? L::tile1 : L::tile0));
    const uint32_t other_tile = smem_u32(smem + (stage ? L::tile0 : L::tile1));
    const bool has_next = t + 1 < w.tile_end;
    cp_async_wait_all();  // the query tile (first iteration)
    fence_proxy_async();  // this thread's generic-proxy tile writes before the wgmma read them
    __syncthreads();      // tile `stage` complete; the other buffer's wgmma have all retired

    float s[16];
    issue_qk(s, q_s, tile_s, mt.wg);
    // While QK runs: dequantize piece 0 of the next tile, then load its piece 1.
    Fp8Raw raw1;
    if (has_next) {
      store_fp8_piece(raw0, pieces[0], other_tile);
      if (writes_valid) s_valid[64 * (stage ^ 1) + my_row] = row_next >= 0 ? 1 : 0;
      load_fp8_piece(p, row_next, pieces[1], raw1);
    }
    wgmma_wait_all();
    softmax_to_p(s, o, m_run, l_run, s_valid + 64 * stage, s_max, smem + L::p, scale_log2, mt);
    issue_pv(o, p_s, tile_s, mt.wg);
    // While PV runs: load piece 0 of the tile after next, then dequantize piece 1 of the next.
    if (has_next) {
      const int64_t row_after = kv_row_of(p, w.seq, next_idx);  // -1 past the split's last tile
      next_idx = load_index(p, w, t + 3, my_row);
      if (t + 2 < w.tile_end) load_fp8_piece(p, row_after, pieces[0], raw0);
      store_fp8_piece(raw1, pieces[1], other_tile);
      row_next = row_after;
    }
    wgmma_wait_all();
  }

  cp_async_wait_all();  // an empty split still issued its query tile
  finish_tile64(p, w, num_splits, o, m_run, l_run, s_sum, mt, o_partial, lse_partial);
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

cudaError_t launch_fp8_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                           cudaStream_t stream) {
  // Raising the dynamic shared-memory limit is per function and idempotent; doing it every call
  // keeps the launch free of static state (cheap next to a kernel).
  cudaError_t err =
      cudaFuncSetAttribute(sparse_mla_fwd_fp8_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Smem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  sparse_mla_fwd_fp8_kernel<<<static_cast<unsigned>(blocks), kThreads, Smem::bytes, stream>>>(p, num_splits, o_partial,
                                                                                            lse_partial);
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
    err = detail::launch_producer_fwd(p, s, o_partial, lse_partial, stream);
  else
    err = detail::launch_fp8_fwd(p, s, o_partial, lse_partial, stream);
  if (err == cudaSuccess && s > 1) err = detail::launch_combine(p, s, o_partial, lse_partial, stream);
  nvtxRangePop();
  return err;
}

}  // namespace aiconf::sparse_mla
