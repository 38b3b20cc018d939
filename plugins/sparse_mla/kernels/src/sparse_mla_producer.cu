// 64-head-tile sparse MLA forward for the bf16 cache, with the gather in its own warpgroup.
//
// The math is the head-tile kernel's (sparse_mla_tile64_math.cuh: two warpgroups split each tile's
// Q K^T by keys and its P V by output columns). What changes is who gathers: a third warpgroup (the
// producer, 72 registers after setmaxnreg) copies the selected cache rows with cp.async into the two
// tile buffers and signals each on an mbarrier ("full", completed by cp.async.mbarrier.arrive.noinc
// plus a plain arrive that publishes the tile's valid-key flags); the math warpgroups free a buffer
// on a second mbarrier ("empty") once their P V on it has retired. So the math warps never issue a
// gather or wait at a block-wide barrier, and the producer refills a buffer as soon as it is free
// (up to two tiles ahead; the raw indices are loaded two tiles ahead, so no copy waits for an index).
// With one split the output leaves through shared memory as 16-byte row stores. Against the same
// math with the gather in the math warps: context T4096 h128 336 -> 426 TFLOP/s, decode b128 s_q2
// 326 -> 402 (H200; NOTES.md, v13).
#include <cmath>

#include "sparse_mla_producer.h"
#include "sparse_mla_tile64_math.cuh"

namespace aiconf::sparse_mla::detail {
namespace {

// One producer warpgroup. ptxas allocates the kernel within the launch's 168 registers per thread
// (the math fits without spills) and the producer's branch within its setmaxnreg.dec value (where
// the unrolled copy loop spilled); the math's setmaxnreg.inc moves no allocation limit, it only
// takes back the producer's share at run time. Two producer warpgroups would cap the math at 128
// registers, below what an m64n256 accumulator needs (ptxas refuses it).
constexpr int kProducers = 128;
constexpr int kMathRegs = 216, kProducerRegs = 72;  // 2 x 216 + 72 = 504 = 3 x 168
constexpr int kMath = 256;                           // math warpgroups 0 and 1, then the producers
constexpr int kThreads = kMath + kProducers;
constexpr int kGroups = kProducers / 8;              // 8 producer threads per row
constexpr int kRowsPerThread = kBlockN / kGroups;
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

/// Producer: cp.async of one tile's rows into the swizzled tile. Thread (group g, lane l = 0..7)
/// copies 16-byte chunk l of each 64-column block of rows g, g + kGroups, ..., so 8 lanes read 128
/// contiguous bytes of a row. Empty slots (row < 0) are zero-filled: the wgmma read them, and P = 0
/// times uninitialised shared memory could be NaN.
__device__ __forceinline__ void copy_tile(const SparseMlaParams& p, const int (&rows)[kRowsPerThread], uint32_t tile_s,
                                          int group, int lane8) {
#ifdef AICONF_SMLA_DEBUG_NO_GATHER  // timing experiment only: the math runs on stale tiles
  return;
#endif
  const char* base = reinterpret_cast<const char*>(p.kv_cache);
#pragma unroll
  for (int lr = 0; lr < kRowsPerThread; ++lr) {
    const int r = lr * kGroups + group;
    const bool ok = rows[lr] >= 0;
    const char* src = base + (ok ? static_cast<int64_t>(rows[lr]) * (kDqk * 2) : 0);
    // Rolled: unrolled, the 36 address computations do not fit the producer's registers.
#pragma unroll 1
    for (int b = 0; b < kDqk / 64; ++b) {
      const int c = b * 8 + lane8;
      cp_async_16(tile_s + swz_offset(r, c), src + c * 16, ok ? 16 : 0);
    }
  }
}

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
      mbar_init(&full[s], 2 * kProducers);  // each producer: cp.async arrival + arrival after the valid flags
      mbar_init(&empty[s], 256);  // every math thread, after its P V on the buffer retired
    }
    fence_barrier_init();
  }
  __syncthreads();

  const Work w = decode_work(p, num_splits);
  const int num_tiles = w.tile_end - w.tile_begin;

  if (wg >= 2) {
    // ---------------- producer warpgroup
    setmaxnreg_dec<kProducerRegs>();
    const int ptid = tid - kMath, group = ptid >> 3, lane8 = ptid & 7;
    // This thread's rows of a tile. The raw indices are loaded two tiles ahead and turned into cache
    // rows (-1: empty slot; the block-table load when paged) one tile ahead, right after the copies
    // of the current tile are issued: no load result is waited for in front of a copy. Rows are
    // 32-bit to save registers (a cache of 2^31 rows, 2.4 TB, is out of reach).
    int rows[kRowsPerThread], idx_next[kRowsPerThread];
    auto load_indices = [&](int it, int (&idx)[kRowsPerThread]) {
#pragma unroll
      for (int lr = 0; lr < kRowsPerThread; ++lr) idx[lr] = load_index(p, w, w.tile_begin + it, lr * kGroups + group);
    };
    auto resolve = [&](const int (&idx)[kRowsPerThread]) {
#pragma unroll
      for (int lr = 0; lr < kRowsPerThread; ++lr) rows[lr] = static_cast<int>(kv_row_of(p, w.seq, idx[lr]));
    };
    if (num_tiles > 0) {
      load_indices(0, idx_next);
      resolve(idx_next);
      load_indices(1, idx_next);  // -1 past the split's last tile
    }
    for (int it = 0; it < num_tiles; ++it) {
      const int stage = it & 1;
      mbar_wait(&empty[stage], ((it >> 1) & 1) ^ 1);  // tile it - 2's release (a fresh barrier passes)
      copy_tile(p, rows, tile0_s + stage * kTileBytes, group, lane8);
      cp_async_mbar_arrive(&full[stage]);
      if (lane8 == 0)
#pragma unroll
        for (int lr = 0; lr < kRowsPerThread; ++lr)
          s_valid[stage * 64 + lr * kGroups + group] = rows[lr] >= 0 ? 1 : 0;
      mbar_arrive(&full[stage]);
      if (it + 1 < num_tiles) {
        resolve(idx_next);
        load_indices(it + 2, idx_next);
      }
    }
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

  for (int it = 0; it < num_tiles; ++it) {
    const int stage = it & 1;
    mbar_wait(&full[stage], (it >> 1) & 1);
    fence_proxy_async();  // the producer's cp.async writes, acquired through the mbarrier, before the wgmma read them
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

}  // namespace

cudaError_t launch_producer_fwd(const SparseMlaParams& p, int num_splits, float* o_partial, float* lse_partial,
                                cudaStream_t stream) {
  if (p.kv_format != KvCacheFormat::kBf16) return cudaErrorInvalidValue;
  cudaError_t err = cudaFuncSetAttribute(sparse_mla_fwd_producer_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         ProducerSmem::bytes);
  if (err != cudaSuccess) return err;
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  const int64_t blocks = static_cast<int64_t>(p.num_tokens) * head_tiles * num_splits;
  sparse_mla_fwd_producer_kernel<<<static_cast<unsigned>(blocks), kThreads, ProducerSmem::bytes, stream>>>(
      p, num_splits, o_partial, lse_partial);
  return cudaGetLastError();
}

}  // namespace aiconf::sparse_mla::detail
