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

#include <aiconf_plugins/cluster_primitives.cuh>

#include "sparse_mla_producer.h"
#include "sparse_mla_tile64_math.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

using aiconf::plugins::hopper::bulk_copy_to_peer;
using aiconf::plugins::hopper::cluster_ctarank;
using aiconf::plugins::hopper::cluster_sync;
using aiconf::plugins::hopper::mapa_shared;
using aiconf::plugins::hopper::mbar_arrive_expect_tx;
using aiconf::plugins::hopper::mbar_arrive_remote;
using aiconf::plugins::hopper::mbar_wait_cluster;
using aiconf::plugins::hopper::st_async_v4;

// One producer warpgroup. ptxas allocates the kernel within the launch's 168 registers per thread
// (the math fits without spills) and the producer's branch within its setmaxnreg.dec value (where
// the unrolled copy loop spilled); the math's setmaxnreg.inc moves no allocation limit, it only
// takes back the producer's share at run time. Two producer warpgroups would cap the math at 128
// registers, below what an m64n256 accumulator needs (ptxas refuses it).
constexpr int kProducers = 128;
constexpr int kMathRegs = 216, kProducerRegs = 72;  // 2 x 216 + 72 = 504 = 3 x 168
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

// How a CTA pair's dequantized rows reach the peer: st.async per 16-byte piece from the converting
// thread, or (AICONF_SMLA_PAIR_BULK) one bulk copy per 64-column block once the producer warpgroup
// has converted its rows.
#ifdef AICONF_SMLA_PAIR_BULK
constexpr bool kPairBulk = true;
#else
constexpr bool kPairBulk = false;
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

/// Copies this thread's pieces of rows r and r + 32: the raw latent pieces and the scales only of
/// the rows it dequantizes (both; in a CTA pair only row lr == rank, the peer does the other), the
/// rope chunks of both (each CTA of a pair fetches its own rope block).
template <bool kPair>
__device__ __forceinline__ void copy_tile_fp8(const SparseMlaParams& p, const Fp8Rows& tr, uint32_t tile_s, int q,
                                              int rank, float4 (&scales)[2]) {
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < 2; ++lr) {
    const int r = tr.tile_row(lr);
    const bool ok = tr.rows[lr] >= 0;
    const char* src = base + (ok ? static_cast<int64_t>(tr.rows[lr]) * kFp8RowBytes : 0);
    if (!kPair || lr == rank) {
#pragma unroll
      for (int b = 0; b < 8; ++b) cp_async_16(fp8_raw_slot(tile_s, r, q, b), src + b * 64 + q * 16, ok ? 16 : 0);
      scales[lr] =
          ok ? __ldg(reinterpret_cast<const float4*>(src + kFp8LatentBytes)) : make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int k = 0; k < 2; ++k)
      cp_async_16(tile_s + swz_offset(r, 64 + q + 4 * k), src + kFp8LatentBytes + kFp8ScaleBytes + (q + 4 * k) * 16,
                  ok ? 16 : 0);
  }
}

/// Dequantizes this thread's 8 pieces of row r in place (see fp8_raw_slot): blocks 0..3 hold no raw
/// bytes and are written at once; the pieces of blocks 4..7 are read before the warp syncs. Each
/// half's four loads go out together (the shared-memory accesses are volatile, so they stay in the
/// order written). In a CTA pair every bf16 piece also goes to the same place of the peer's tile
/// (`peer_delta` from this tile's address), completing 16 bytes each on the peer's "full" barrier.
template <bool kPair>
__device__ __forceinline__ void dequant_row_in_place(uint32_t tile_s, int r, int q, const float4& scales,
                                                     uint32_t peer_delta, uint32_t peer_full) {
#ifdef AICONF_SMLA_DEBUG_NO_DEQUANT  // timing experiment only: the raw bytes stay, results are garbage
  return;
#endif
  auto put = [&](int b, const uint4& raw) {
    uint4 lo, hi;
    dequant16(raw, scale_of_chunk(scales, 4 * b + q), lo, hi);
    const uint32_t at_lo = tile_s + swz_offset(r, 8 * b + 2 * q), at_hi = tile_s + swz_offset(r, 8 * b + 2 * q + 1);
    st_shared_v4(at_lo, lo);
    st_shared_v4(at_hi, hi);
    if constexpr (kPair && !kPairBulk) {
      st_async_v4(at_lo + peer_delta, lo.x, lo.y, lo.z, lo.w, peer_full);
      st_async_v4(at_hi + peer_delta, hi.x, hi.y, hi.z, hi.w, peer_full);
    }
  };
  uint4 raw[4];
#pragma unroll
  for (int b = 0; b < 4; ++b) raw[b] = ld_shared_v4(fp8_raw_slot(tile_s, r, q, b));
#pragma unroll
  for (int b = 0; b < 4; ++b) put(b, raw[b]);
#pragma unroll
  for (int b = 4; b < 8; ++b) raw[b - 4] = ld_shared_v4(fp8_raw_slot(tile_s, r, q, b));
  __syncwarp();
#pragma unroll
  for (int b = 4; b < 8; ++b) put(b, raw[b - 4]);
}

/// Bytes a CTA of a pair receives from its peer per tile: 32 dequantized rows of 512 bf16 values.
constexpr uint32_t kPairTxBytes = 32 * kDv * 2;
constexpr int kProducerBarrier = 5;  // named barrier of the producer warpgroup (the math uses 1..4)

/// FP8 producer loop: copy, then (the next tile's rows resolved meanwhile) wait for this thread's
/// copies, dequantize, and arrive on the tile's "full" barrier (one plain arrival per thread, after
/// the proxy fence that makes the bf16 values visible to the wgmma). In a CTA pair (kPair: the two
/// 64-head tiles of one query token, which read the same key rows) each CTA dequantizes half of
/// every tile's rows, tile row r + 32 * rank, and stores them into both CTAs' buffers: half the
/// copies and half the conversions per CTA. The "empty" barrier then also counts the peer's math
/// warps (the peer's buffer is written too), and "full" also waits for the peer's 32 rows.
template <bool kPair>
__device__ __forceinline__ void produce_fp8(const SparseMlaParams& p, const Work& w, int num_tiles, uint32_t tile0_s,
                                            uint64_t* full, uint64_t* empty, int* s_valid, int ptid, int rank) {
  const int q = ptid & 3;
  Fp8Rows tr{ptid >> 2, 32};
  const uint32_t peer_delta = kPair ? mapa_shared(tile0_s, rank ^ 1) - tile0_s : 0;
  const uint32_t peer_full0 = kPair ? mapa_shared(smem_u32(full), rank ^ 1) : 0;
  tr.start(p, w, num_tiles);
  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    const uint32_t tile_s = tile0_s + stage * kTileBytes;
    const uint32_t parity = ((it >> 1) & 1) ^ 1;  // tile it - 2's release (a fresh barrier passes)
    if constexpr (kPair)
      mbar_wait_cluster(smem_u32(&empty[stage]), parity);
    else
      mbar_wait(&empty[stage], parity);
    float4 scales[2];
    copy_tile_fp8<kPair>(p, tr, tile_s, q, rank, scales);
    cp_async_commit();
    if (q == 0) tr.publish_valid(s_valid + stage * 64);
    tr.advance(p, w, it, num_tiles);
    cp_async_wait_all();
#pragma unroll
    for (int lr = 0; lr < 2; ++lr)
      if (!kPair || lr == rank)
        dequant_row_in_place<kPair>(tile_s, tr.tile_row(lr), q, scales[lr], peer_delta, peer_full0 + 8 * stage);
    fence_proxy_async();
    if constexpr (kPair && kPairBulk) {  // this CTA's 32 rows of each block are 4 KB in one piece
      named_barrier(kProducerBarrier, kProducers);
      if (ptid == 0)
#pragma unroll
        for (int b = 0; b < 8; ++b) {
          const uint32_t src = tile_s + b * 8192 + rank * 32 * 128;
          bulk_copy_to_peer(src + peer_delta, src, 32 * 128, peer_full0 + 8 * stage);
        }
    }
    if (kPair && ptid == 0)
      mbar_arrive_expect_tx(smem_u32(&full[stage]), kPairTxBytes);
    else
      mbar_arrive(&full[stage]);
  }
}

/// kPair (FP8 cache, two head tiles): launched in clusters of 2, the two head tiles of one (token,
/// split); see produce_fp8.
template <bool kFp8, bool kPair>
__global__ void __launch_bounds__(kThreads, 1)
    sparse_mla_fwd_producer_kernel(const SparseMlaParams p, int num_splits, float* o_partial, float* lse_partial) {
  static_assert(kFp8 || !kPair, "CTA pairs share dequantized rows: FP8 cache only");
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
      // Every math thread after its P V on the buffer retired; in a pair also each peer math warp.
      mbar_init(&empty[s], kMath + (kPair ? kMath / 32 : 0));
    }
    fence_barrier_init();
  }
  // A pair's barriers must be initialised before the peer's first remote arrival or store; and no
  // CTA of a pair may exit while its peer can still write into its shared memory (the last
  // cluster_sync, on every path out).
  if constexpr (kPair)
    cluster_sync();
  else
    __syncthreads();
  const int rank = kPair ? static_cast<int>(cluster_ctarank()) : 0;

  const Work w = decode_work(p, num_splits, kPair);
  const int num_tiles = w.tile_end - w.tile_begin;

  if (wg >= 2) {
    // ---------------- producer warpgroup
    setmaxnreg_dec<kProducerRegs>();
    if constexpr (kFp8)
      produce_fp8<kPair>(p, w, num_tiles, tile0_s, full, empty, s_valid, tid - kMath, rank);
    else
      produce_bf16(p, w, num_tiles, tile0_s, full, empty, s_valid, tid - kMath);
    if constexpr (kPair) cluster_sync();
    return;
  }

  // ---------------- math warpgroups
  setmaxnreg_inc<kMathRegs>();
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

  const uint32_t peer_empty0 = kPair ? mapa_shared(smem_u32(empty), rank ^ 1) : 0;
  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    if constexpr (kPair)
      mbar_wait_cluster(smem_u32(&full[stage]), (it >> 1) & 1);
    else
      mbar_wait(&full[stage], (it >> 1) & 1);
    fence_proxy_async();  // the producers' writes, acquired through the mbarrier, before the wgmma read them
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
    if constexpr (kPair) {  // the peer's producer writes into this buffer too
      __syncwarp();
      if (mt.lane == 0) mbar_arrive_remote(peer_empty0 + 8 * stage);
    }
  }
  if (num_splits > 1) {  // fp32 partials: 128 KB, more than Q's space; written from the accumulators
    finish_tile64(p, w, num_splits, o, m_run, l_run, s_sum, mt, o_partial, lse_partial);
    if constexpr (kPair) cluster_sync();
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
  if constexpr (kPair) cluster_sync();
}

template <bool kFp8, bool kPair>
cudaError_t launch_producer(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                            cudaStream_t stream) {
  const auto kernel = sparse_mla_fwd_producer_kernel<kFp8, kPair>;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, ProducerSmem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = dim3(static_cast<unsigned>(blocks));
  cfg.blockDim = dim3(kThreads);
  cfg.dynamicSmemBytes = ProducerSmem::bytes;
  cfg.stream = stream;
  cudaLaunchAttribute cluster{};
  cluster.id = cudaLaunchAttributeClusterDimension;
  cluster.val.clusterDim.x = kPair ? 2 : 1;
  cluster.val.clusterDim.y = 1;
  cluster.val.clusterDim.z = 1;
  cfg.attrs = &cluster;
  cfg.numAttrs = kPair ? 1 : 0;
  err = cudaLaunchKernelEx(&cfg, kernel, p, num_splits, o_partial, lse_partial);
  return err != cudaSuccess ? err : cudaGetLastError();
}

/// FP8 caches with exactly two head tiles (65..128 heads) run as CTA pairs; AICONF_SMLA_NO_PAIR
/// (an A/B switch for the benchmark) keeps them on single CTAs.
bool use_pairs(const SparseMlaParams& p) {
#ifdef AICONF_SMLA_NO_PAIR
  return false;
#else
  return p.kv_format != KvCacheFormat::kBf16 && (p.num_heads + kBlockM - 1) / kBlockM == 2;
#endif
}

}  // namespace

cudaError_t launch_producer_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                                cudaStream_t stream) {
  if (p.kv_format == KvCacheFormat::kBf16) return launch_producer<false, false>(p, num_splits, o_partial, lse_partial, stream);
  return use_pairs(p) ? launch_producer<true, true>(p, num_splits, o_partial, lse_partial, stream)
                      : launch_producer<true, false>(p, num_splits, o_partial, lse_partial, stream);
}

}  // namespace aiconf::sparse_mla::detail
