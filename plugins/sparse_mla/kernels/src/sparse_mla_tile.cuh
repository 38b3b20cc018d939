// Device code shared by the two sparse MLA forward kernels (the 64-head-tile kernel in
// sparse_mla_producer.cu and the narrow-heads kernel in sparse_mla_narrow.cu): which query token, heads
// and key tiles a CTA owns, and the cp.async gather of a bf16 key tile into the swizzled layout both
// kernels read with wgmma.
#pragma once
#include "sparse_mla_common.cuh"

namespace aiconf::sparse_mla::detail {

constexpr int kBlockM = 64;   // heads per CTA
constexpr int kBlockN = 64;   // keys per tile
// MN-major SW128 (V): LBO = stride between 64-column blocks, SBO = stride between 8-key groups
// (canonical layout ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)) of the PTX ISA). AICONF_SMLA_MN_SWAP swaps
// them, a debugging switch kept for the first device run.
#ifndef AICONF_SMLA_MN_SWAP
constexpr uint32_t kMnLbo = 8192, kMnSbo = 1024;
#else
constexpr uint32_t kMnLbo = 1024, kMnSbo = 8192;
#endif

struct Work {
  int token, seq, head0, len, tile_begin, tile_end, split;
};

__device__ __forceinline__ Work decode_work(const SparseMlaParams& p, int num_splits) {
  const int head_tiles = (p.num_heads + kBlockM - 1) / kBlockM;
  int bid = blockIdx.x;
  Work w;
  w.split = bid % num_splits;
  bid /= num_splits;
  w.head0 = (bid % head_tiles) * kBlockM;
  // Last tokens first: in context they have the longest top-k lists, so the tail of the grid is short.
  w.token = p.num_tokens - 1 - bid / head_tiles;
  w.seq = w.token / p.tokens_per_seq;
  w.len = p.topk_lengths ? min(max(p.topk_lengths[w.token], 0), p.topk) : p.topk;
  const int tiles = (w.len + kBlockN - 1) / kBlockN;
  const int per_split = (tiles + num_splits - 1) / num_splits;
  w.tile_begin = min(tiles, w.split * per_split);
  w.tile_end = min(tiles, w.tile_begin + per_split);
  return w;
}

/// Index of row `row` of key tile `tile`, or -1 past the list. Loaded one phase before the gather
/// that uses it, so its global-memory latency is off the critical path.
__device__ __forceinline__ int load_index(const SparseMlaParams& p, const Work& w, int tile, int row) {
  const int slot = tile * kBlockN + row;
  return (tile < w.tile_end && slot < w.len) ? key_of_slot(p, w.token, slot) : -1;
}

/// Issues the cp.async gather of one bf16 key tile: thread (row r = tid/4, sub = tid%4) fetches
/// chunks sub, sub+4, ... of its row `idx`, so a warp reads 64 contiguous bytes from each of 8 rows.
__device__ __forceinline__ void issue_tile_bf16(const SparseMlaParams& p, const Work& w, int idx, uint32_t dst,
                                                int* valid, int tid) {
  const int r = tid >> 2, sub = tid & 3;
  const int64_t row = kv_row_of(p, w.seq, idx);
#ifdef AICONF_SMLA_DEBUG_NO_GATHER  // timing experiment only, bf16 cache only (FP8 still loads): results are garbage
  if (sub == 0) valid[r] = row >= 0 ? 1 : 0;
  return;
#endif
  const bool ok = row >= 0;
  const char* src = reinterpret_cast<const char*>(p.kv_cache) + (ok ? row * (kDqk * 2) : 0);
#pragma unroll
  for (int s = 0; s < 18; ++s) {
    const int c = s * 4 + sub;
    cp_async_16(dst + swz_offset(r, c), src + c * 16, ok ? 16 : 0);
  }
  if (sub == 0) valid[r] = ok ? 1 : 0;
}

/// Issues the cp.async requests of the query tile: 64 head rows x 72 chunks, absent heads zeroed.
__device__ __forceinline__ void issue_q(const SparseMlaParams& p, const Work& w, uint32_t q_s, int tid) {
  const int r = tid >> 2, sub = tid & 3;
  const int head = w.head0 + r;
  const bool ok = head < p.num_heads;
  const char* src = reinterpret_cast<const char*>(p.q) +
                    (ok ? (static_cast<int64_t>(w.token) * p.num_heads + head) * (kDqk * 2) : 0);
#pragma unroll
  for (int s = 0; s < 18; ++s) {
    const int c = s * 4 + sub;
    cp_async_16(q_s + swz_offset(r, c), src + c * 16, ok ? 16 : 0);
  }
}

/// Writes one warpgroup's half of a CTA's output: heads w.head0 + [0, 64) (rows row0 and row0 + 8 of
/// the m64n256 accumulator `o`), columns [256 half, 256 half + 256), times inv[i]; to `out` (bf16) when
/// there is one split, else to the split's fp32 partials. lse[i] is written where write_lse.
__device__ __forceinline__ void store_o_half(const SparseMlaParams& p, const Work& w, int num_splits,
                                             const float (&o)[128], const float (&inv)[2], const float (&lse)[2],
                                             int half, int row0, int colq, bool write_lse, float* o_partial,
                                             float* lse_partial) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int head = w.head0 + row0 + 8 * i;
    if (head >= p.num_heads) continue;
    const int64_t th = static_cast<int64_t>(w.token) * p.num_heads + head;
    if (num_splits == 1) {
      __nv_bfloat16* dst = p.out + th * kDv + half * 256 + colq;
#pragma unroll
      for (int n = 0; n < 32; ++n)
        *reinterpret_cast<__nv_bfloat162*>(dst + n * 8) =
            __floats2bfloat162_rn(o[n * 4 + 2 * i] * inv[i], o[n * 4 + 2 * i + 1] * inv[i]);
      if (p.lse != nullptr && write_lse) p.lse[th] = lse[i];
    } else {
      const int64_t part = static_cast<int64_t>(w.split) * p.num_tokens * p.num_heads + th;
      float* dst = o_partial + part * kDv + half * 256 + colq;
#pragma unroll
      for (int n = 0; n < 32; ++n)
        *reinterpret_cast<float2*>(dst + n * 8) = make_float2(o[n * 4 + 2 * i] * inv[i], o[n * 4 + 2 * i + 1] * inv[i]);
      if (write_lse) lse_partial[part] = lse[i];
    }
  }
}

}  // namespace aiconf::sparse_mla::detail
