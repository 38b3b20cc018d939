// 64-head-tile sparse MLA forward (bf16 and FP8 caches), with the gather in its own warpgroup.
//
// The math is in sparse_mla_tile64_math.cuh (two warpgroups split each tile's Q K^T by keys and its
// P V by output columns). A third warpgroup (the producer, 72 registers after setmaxnreg) fills the
// two tile buffers and signals each on an mbarrier ("full"); the math warpgroups free a buffer on a
// second mbarrier ("empty") once their P V on it has retired. So the math warps never issue a load
// or wait at a block-wide barrier, and the producer refills a buffer as soon as it is free.
// - bf16 cache: cp.async of the selected rows straight into the swizzled tile, up to two tiles ahead
//   ("full" is completed by cp.async.mbarrier.arrive.noinc plus a plain arrive after the valid-key
//   flags). Against the same math with the gather in the math warps: context T4096 h128 336 -> 426
//   TFLOP/s, decode b128 s_q2 326 -> 402 (H200; NOTES.md, v13).
// - FP8 cache: cp.async of the raw 656-byte rows into the tile buffer itself, then dequantization
//   in place to bf16 by the producer (fp8_raw_slot says why that needs no extra shared memory).
//   Against dequantizing in the math warps (v5): decode b128 s_q2 h128 276 -> 294 TFLOP/s (H200;
//   NOTES.md, v14).
// The raw indices are loaded two tiles ahead and the rows resolved one tile ahead, so no copy waits
// for an index. With one split the output leaves through shared memory as 16-byte row stores.
#include <cmath>

#include "sparse_mla_producer.h"
#include "sparse_mla_tile64_math.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

// One producer warpgroup. ptxas allocates the kernel within the launch's 168 registers per thread
// (the math fits without spills) and the producer's branch within its setmaxnreg.dec value (where
// the unrolled copy loop spilled); the math's setmaxnreg.inc moves no allocation limit, it only
// takes back the producer's share at run time. Two producer warpgroups would cap the math at 128
// registers, below what an m64n256 accumulator needs (ptxas refuses it). The split differs by cache
// (measured on one H200, same call, results/skip_empty_2026-11-28/regs_h200): the FP8 producer at 88
// is 3-4% faster at b128 s_q2 than at 72, while the bf16 kernel at 88 was ~3% slower in context (means
// of three runs, which spread by ~3% themselves): 72 stays where nothing was gained.
constexpr int kProducers = 128;
template <bool kFp8>
constexpr int kProducerRegs = kFp8 ? 88 : 72;
template <bool kFp8>
constexpr int kMathRegs = (3 * 168 - kProducerRegs<kFp8>) / 2;  // 208 / 216: the 3 x 168 launch registers
constexpr int kMath = 256;                           // math warpgroups 0 and 1, then the producers
constexpr int kThreads = kMath + kProducers;
constexpr int kTileBytes = kBlockN * kDqk * 2;  // 73728: 9 swizzled blocks of 64 keys x 64 values

/// Shared memory. Offsets from a 1024-byte aligned base (the 128B-swizzle atom).
struct ProducerSmem {
  static constexpr int q = 0;
  static constexpr int tile0 = q + kBlockM * kDqk * 2;
  static constexpr int tile1 = tile0 + kTileBytes;
  static constexpr int p = tile1 + kTileBytes;
  static constexpr int row_max = p + kBlockM * kBlockN * 2;  // [2 warpgroups][64]
  static constexpr int row_sum = row_max + 512;              // [2 warpgroups][64]
  static constexpr int valid = row_sum + 512;                // [2 stages][64] ints
  static constexpr int bars = valid + 512;                   // full[2], empty[2]
  static constexpr int bytes = bars + 64 + 1024;             // +1024: manual alignment
};
static_assert(ProducerSmem::bytes <= 232448, "exceeds 227 KB of shared memory");

/// One producer thread's rows of every tile (tile rows first + lr * stride, lr < kN) and their cache
/// rows. The raw indices are loaded two tiles ahead and turned into cache rows (-1: empty slot; the
/// block-table load when paged) one tile ahead, right after the copies of the current tile are
/// issued: no load result is waited for in front of a copy. Cache rows are 32-bit to save registers
/// (a cache of 2^31 rows, 1.4 TB even as FP8, is out of reach).
template <int kN>
struct TileRows {
  int first, stride;
  int rows[kN];      // cache rows of the tile being copied
  int idx_next[kN];  // raw indices of the tile after it

  __device__ __forceinline__ int tile_row(int lr) const { return first + lr * stride; }
  __device__ __forceinline__ void load_indices(const SparseMlaParams& p, const Work& w, int it) {
#pragma unroll
    for (int lr = 0; lr < kN; ++lr) idx_next[lr] = load_index(p, w, w.tile_begin + it, tile_row(lr));
  }
  __device__ __forceinline__ void resolve(const SparseMlaParams& p, const Work& w) {
#pragma unroll
    for (int lr = 0; lr < kN; ++lr) rows[lr] = static_cast<int>(kv_row_of(p, w.seq, idx_next[lr]));
  }
  /// Before the first tile: its rows resolved, the next tile's indices loaded.
  __device__ __forceinline__ void start(const SparseMlaParams& p, const Work& w, int num_tiles) {
    if (num_tiles == 0) return;
    load_indices(p, w, 0);
    resolve(p, w);
    load_indices(p, w, 1);  // -1 past the split's last tile
  }
  /// After tile `it`'s copies are issued: the rows of tile it + 1, the indices of tile it + 2.
  __device__ __forceinline__ void advance(const SparseMlaParams& p, const Work& w, int it, int num_tiles) {
    if (it + 1 >= num_tiles) return;
    resolve(p, w);
    load_indices(p, w, it + 2);
  }
  /// The valid-key flags of this thread's rows (the softmax masks the others).
  __device__ __forceinline__ void publish_valid(int* valid) const {
#pragma unroll
    for (int lr = 0; lr < kN; ++lr) valid[tile_row(lr)] = rows[lr] >= 0 ? 1 : 0;
  }
};

// ---- bf16 cache: 8 producer threads per row, each copying 16-byte chunk lane8 of every 64-column block.
constexpr int kBf16Groups = kProducers / 8;
constexpr int kBf16RowsPerThread = kBlockN / kBf16Groups;
using Bf16Rows = TileRows<kBf16RowsPerThread>;

/// cp.async of one tile's rows into the swizzled tile: 8 lanes read 128 contiguous bytes of a row.
/// Empty slots (row < 0) are zero-filled: the wgmma read them, and P = 0 times uninitialised
/// shared memory could be NaN.
__device__ __forceinline__ void copy_tile_bf16(const SparseMlaParams& p, const Bf16Rows& tr, uint32_t tile_s,
                                               int lane8) {
#ifdef AICONF_SMLA_DEBUG_NO_GATHER  // timing experiment only: the math runs on stale tiles
  return;
#endif
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < kBf16RowsPerThread; ++lr) {
    const bool ok = tr.rows[lr] >= 0;
    const char* src = base + (ok ? static_cast<int64_t>(tr.rows[lr]) * (kDqk * 2) : 0);
    // Rolled: unrolled, the 36 address computations do not fit the producer's registers.
#pragma unroll 1
    for (int b = 0; b < kDqk / 64; ++b) {
      const int c = b * 8 + lane8;
      cp_async_16(tile_s + swz_offset(tr.tile_row(lr), c), src + c * 16, ok ? 16 : 0);
    }
  }
}

/// bf16 producer loop: a tile's "full" barrier completes with every thread's cp.async arrival
/// (noinc) and its plain arrival after the valid flags.
__device__ __forceinline__ void produce_bf16(const SparseMlaParams& p, const Work& w, int num_tiles, uint32_t tile0_s,
                                             uint64_t* full, uint64_t* empty, int* s_valid, int ptid) {
  const int lane8 = ptid & 7;
  Bf16Rows tr{ptid >> 3, kBf16Groups};
  tr.start(p, w, num_tiles);
  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    mbar_wait(&empty[stage], ((it >> 1) & 1) ^ 1);  // tile it - 2's release (a fresh barrier passes)
    copy_tile_bf16(p, tr, tile0_s + stage * kTileBytes, lane8);
    cp_async_mbar_arrive(&full[stage]);
    if (lane8 == 0) tr.publish_valid(s_valid + stage * 64);
    mbar_arrive(&full[stage]);
    tr.advance(p, w, it, num_tiles);
  }
}

// ---- FP8 cache: thread (r = ptid / 4, q = ptid % 4) owns rows r and r + 32 of each tile and piece q
// (16 e4m3 values) of each of their eight 64-value latent blocks: it copies those pieces raw into
// the tile buffer, copies rope chunks q and q + 4 (bf16) to their final place, loads the row's 4
// scales, and after its own copies have landed dequantizes its pieces in place.
using Fp8Rows = TileRows<2>;

// Empty slots skip their latent copies and conversions (zeros are stored instead);
// AICONF_SMLA_NO_SKIP_EMPTY restores copying and converting the zero-filled rows (the A/B switch).
#ifdef AICONF_SMLA_NO_SKIP_EMPTY
constexpr bool kSkipEmpty = false;
#else
constexpr bool kSkipEmpty = true;
#endif

/// Where piece q of latent block b of row r waits, raw: thread q's 8 pieces of row r fill row r of
/// 64-column block 4 + q, XOR-placed so that the 8 threads of a quarter warp use distinct banks.
/// A row's raw bytes thus lie only where that row's own bf16 values of blocks 4..7 go, which only
/// the row's 4 threads (one warp) write: a __syncwarp between reading the raw pieces and writing
/// over them is all the ordering the in-place dequantization needs, and the 42 KB of raw rows need
/// no shared memory beyond the two tile buffers.
__device__ __forceinline__ uint32_t fp8_raw_slot(uint32_t tile_s, int r, int q, int b) {
  return tile_s + 8192 * (4 + q) + r * 128 + (((b ^ r ^ (2 * q)) & 7) << 4);
}

__device__ __forceinline__ void copy_tile_fp8(const SparseMlaParams& p, const Fp8Rows& tr, uint32_t tile_s, int q,
                                              float4 (&scales)[2]) {
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < 2; ++lr) {
    const int r = tr.tile_row(lr);
    const bool ok = tr.rows[lr] >= 0;
    const char* src = base + (ok ? static_cast<int64_t>(tr.rows[lr]) * kFp8RowBytes : 0);
    // An empty slot's latent values are written as zeros by dequant_row_in_place: no copy.
    if (ok || !kSkipEmpty)
#pragma unroll
      for (int b = 0; b < 8; ++b) cp_async_16(fp8_raw_slot(tile_s, r, q, b), src + b * 64 + q * 16, ok ? 16 : 0);
#pragma unroll
    for (int k = 0; k < 2; ++k)
      cp_async_16(tile_s + swz_offset(r, 64 + q + 4 * k), src + kFp8LatentBytes + kFp8ScaleBytes + (q + 4 * k) * 16,
                  ok ? 16 : 0);
    scales[lr] = ok ? __ldg(reinterpret_cast<const float4*>(src + kFp8LatentBytes)) : make_float4(0.f, 0.f, 0.f, 0.f);
  }
}

/// Prefetches into L2 the FP8 rows this thread copies in the next tile (resolved one tile ahead): a
/// row's 656 bytes (16-byte aligned) span up to 6 128-byte lines, covered by addresses 128 apart
/// from its first byte plus its last byte. The next tile's copies then wait for L2 rather than for
/// HBM; the copy latency is what bounds this path (NOTES.md, v14.1; AICONF_SMLA_NO_PREFETCH is the
/// A/B switch of that measurement).
__device__ __forceinline__ void prefetch_rows_l2(const SparseMlaParams& p, const Fp8Rows& tr, int q) {
#ifndef AICONF_SMLA_NO_PREFETCH
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < 2; ++lr) {
    if (tr.rows[lr] < 0) continue;
    const char* row = base + static_cast<int64_t>(tr.rows[lr]) * kFp8RowBytes;
    prefetch_l2(row + 128 * q);
    if (q < 2) prefetch_l2(row + (q == 0 ? 512 : kFp8RowBytes - 1));
  }
#endif
}

/// Dequantizes this thread's 8 pieces of row r in place (see fp8_raw_slot): blocks 0..3 hold no raw
/// bytes and are written at once; the pieces of blocks 4..7 are read before the warp syncs. Each
/// half's four loads go out together (the shared-memory accesses are volatile, so they stay in the
/// order written).
/// An empty slot (`valid` false: no raw bytes were copied) gets zeros instead: the wgmma reads every
/// row, and P = 0 times stale shared memory could be NaN. The row's 4 threads take the same branch;
/// the __syncwarp stays outside it, where every lane of the warp reaches it.
__device__ __forceinline__ void dequant_row_in_place(uint32_t tile_s, int r, int q, const float4& scales, bool valid) {
#ifdef AICONF_SMLA_DEBUG_NO_DEQUANT  // timing experiment only: the raw bytes stay, results are garbage
  return;
#endif
  auto put = [&](int b, const uint4& raw) {
    uint4 lo, hi;
    dequant16(raw, scale_of_chunk(scales, 4 * b + q), lo, hi);
    st_shared_v4(tile_s + swz_offset(r, 8 * b + 2 * q), lo);
    st_shared_v4(tile_s + swz_offset(r, 8 * b + 2 * q + 1), hi);
  };
  uint4 raw[4];
  if (valid) {
#pragma unroll
    for (int b = 0; b < 4; ++b) raw[b] = ld_shared_v4(fp8_raw_slot(tile_s, r, q, b));
#pragma unroll
    for (int b = 0; b < 4; ++b) put(b, raw[b]);
#pragma unroll
    for (int b = 4; b < 8; ++b) raw[b - 4] = ld_shared_v4(fp8_raw_slot(tile_s, r, q, b));
  }
  __syncwarp();
  if (valid) {
#pragma unroll
    for (int b = 4; b < 8; ++b) put(b, raw[b - 4]);
  } else {
    const uint4 zero = make_uint4(0u, 0u, 0u, 0u);
#pragma unroll
    for (int b = 0; b < 8; ++b) {
      st_shared_v4(tile_s + swz_offset(r, 8 * b + 2 * q), zero);
      st_shared_v4(tile_s + swz_offset(r, 8 * b + 2 * q + 1), zero);
    }
  }
}

/// FP8 producer loop: copy, then (the next tile's rows resolved meanwhile) wait for this thread's
/// copies, dequantize, and arrive on the tile's "full" barrier (one plain arrival per thread, after
/// the proxy fence that makes the bf16 values visible to the wgmma).
__device__ __forceinline__ void produce_fp8(const SparseMlaParams& p, const Work& w, int num_tiles, uint32_t tile0_s,
                                            uint64_t* full, uint64_t* empty, int* s_valid, int ptid) {
  const int q = ptid & 3;
  Fp8Rows tr{ptid >> 2, 32};
  tr.start(p, w, num_tiles);
  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    const uint32_t tile_s = tile0_s + stage * kTileBytes;
    mbar_wait(&empty[stage], ((it >> 1) & 1) ^ 1);  // tile it - 2's release (a fresh barrier passes)
    float4 scales[2];
    copy_tile_fp8(p, tr, tile_s, q, scales);
    cp_async_commit();
    if (q == 0) tr.publish_valid(s_valid + stage * 64);
    // Taken before advance() moves to the next tile's rows.
    const bool valid[2] = {!kSkipEmpty || tr.rows[0] >= 0, !kSkipEmpty || tr.rows[1] >= 0};
    tr.advance(p, w, it, num_tiles);
    if (it + 1 < num_tiles) prefetch_rows_l2(p, tr, q);
    cp_async_wait_all();
#pragma unroll
    for (int lr = 0; lr < 2; ++lr) dequant_row_in_place(tile_s, tr.tile_row(lr), q, scales[lr], valid[lr]);
    fence_proxy_async();
    mbar_arrive(&full[stage]);
  }
}

template <bool kFp8>
__global__ void __launch_bounds__(kThreads, 1)
    sparse_mla_fwd_producer_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  using L = ProducerSmem;
  float* s_max = reinterpret_cast<float*>(smem + L::row_max);
  float* s_sum = reinterpret_cast<float*>(smem + L::row_sum);
  int* s_valid = reinterpret_cast<int*>(smem + L::valid);
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + L::bars);
  uint64_t* empty = full + 2;
  const uint32_t q_s = smem_u32(smem + L::q), p_s = smem_u32(smem + L::p);
  const uint32_t tile0_s = smem_u32(smem + L::tile0);  // tile buffer `stage` at tile0_s + stage * kTileBytes

  const int tid = threadIdx.x;
  // Warpgroup index through a shuffle: provably warp-uniform, so ptxas sees no divergent path around
  // the wgmma (which it would serialise, C7520).
  const int wg = __shfl_sync(0xffffffffu, tid / 128, 0);
  if (tid == 0) {
    for (int s = 0; s < 2; ++s) {
      // bf16: each producer's cp.async arrival + its arrival after the valid flags; FP8: one
      // arrival per producer after its dequantized stores.
      mbar_init(&full[s], kFp8 ? kProducers : 2 * kProducers);
      mbar_init(&empty[s], 256);  // every math thread, after its P V on the buffer retired
    }
    fence_barrier_init();
  }
  __syncthreads();

  const Work w = decode_work(p, num_splits);
  const int num_tiles = w.tile_end - w.tile_begin;

  if (wg >= 2) {
    // ---------------- producer warpgroup
    setmaxnreg_dec<kProducerRegs<kFp8>>();
    if constexpr (kFp8)
      produce_fp8(p, w, num_tiles, tile0_s, full, empty, s_valid, tid - kMath);
    else
      produce_bf16(p, w, num_tiles, tile0_s, full, empty, s_valid, tid - kMath);
    return;
  }

  // ---------------- math warpgroups
  setmaxnreg_inc<kMathRegs<kFp8>>();
  const MathThread mt = math_thread(tid);
  const float scale_log2 = p.sm_scale * 1.4426950408889634f;
  issue_q(p, w, q_s, tid);
  cp_async_commit();

  float o[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) o[i] = 0.f;
  float m_run[2] = {-INFINITY, -INFINITY};
  float l_run[2] = {0.f, 0.f};  // partial sums over this thread's columns

  cp_async_wait_all();
  fence_proxy_async();
  named_barrier(4, kMath);  // Q complete

  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    mbar_wait(&full[stage], (it >> 1) & 1);
    fence_proxy_async();  // the producer's writes, acquired through the mbarrier, before the wgmma read them
    const uint32_t tile_s = tile0_s + stage * kTileBytes;
    float s[16];
    issue_qk(s, q_s, tile_s, mt.wg);
    wgmma_wait_all();
    fence_operands(s);
    softmax_to_p(s, o, m_run, l_run, s_valid + 64 * stage, s_max, smem + L::p, scale_log2, mt);
    issue_pv(o, p_s, tile_s, mt.wg);
    wgmma_wait_all();
    fence_operands(o);
    mbar_arrive(&empty[stage]);
  }
  if (num_splits > 1) {  // fp32 partials: 128 KB, more than Q's space; written from the accumulators
    finish_tile64(p, w, num_splits, o, m_run, l_run, s_sum, mt, o_partial, lse_partial);
    return;
  }
  // One split: the bf16 output goes through shared memory (Q's space: every Q K^T has retired once
  // row_totals' barrier is passed) so that each warp stores 512 contiguous bytes with 16-byte
  // stores, instead of 4-byte pieces of 8 rows from the accumulator layout (7-9% of the kernel at
  // b128 s_q2 and in context on an H200, NOTES.md v13).
  float inv[2], lse[2];
  row_totals(p, m_run, l_run, s_sum, mt, inv, lse);
  constexpr int kStageRow = 1040;  // bytes per head row: 1024 + 16 puts the 8 rows of a warp on distinct banks
  uint8_t* stage = smem + L::q;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = mt.row0 + 8 * i;
    const int head = w.head0 + r;
    if (p.lse != nullptr && mt.wg == 0 && (mt.lane & 3) == 0 && head < p.num_heads)
      p.lse[static_cast<int64_t>(w.token) * p.num_heads + head] = lse[i];
#pragma unroll
    for (int n = 0; n < 32; ++n)
      *reinterpret_cast<__nv_bfloat162*>(stage + r * kStageRow + (mt.wg * 256 + n * 8 + mt.colq) * 2) =
          __floats2bfloat162_rn(o[n * 4 + 2 * i] * inv[i], o[n * 4 + 2 * i + 1] * inv[i]);
  }
  named_barrier(3, kMath);
  const int heads = min(kBlockM, p.num_heads - w.head0);
  __nv_bfloat16* out = p.out + (static_cast<int64_t>(w.token) * p.num_heads + w.head0) * kDv;
  for (int e = tid; e < heads * 64; e += kMath) {
    const int r = e >> 6, c = e & 63;
    *reinterpret_cast<uint4*>(out + r * kDv + c * 8) = *reinterpret_cast<const uint4*>(stage + r * kStageRow + c * 16);
  }
}

template <bool kFp8>
cudaError_t launch_producer(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                            cudaStream_t stream) {
  cudaError_t err = cudaFuncSetAttribute(sparse_mla_fwd_producer_kernel<kFp8>,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize, ProducerSmem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  sparse_mla_fwd_producer_kernel<kFp8><<<static_cast<unsigned>(blocks), kThreads, ProducerSmem::bytes, stream>>>(
      p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_producer_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                                cudaStream_t stream) {
  return p.kv_format == KvCacheFormat::kBf16 ? launch_producer<false>(p, num_splits, o_partial, lse_partial, stream)
                                             : launch_producer<true>(p, num_splits, o_partial, lse_partial, stream);
}

}  // namespace aiconf::sparse_mla::detail
