#pragma once
// The indexer logits kernel: persistent, warp-specialised, FP8 wgmma.
//
// Work item = (key chunk, query group). A query group is kG = kN / kH consecutive query rows
// that share one key source; their q rows form the wgmma B operand (N = kG * kH columns, one per
// (query, head)). Keys are the A operand: a 64-key block is M = 64, K = head_dim = 128. With keys
// as M, the accumulator of one thread holds 2 keys x kN/4 (query, head) columns, so the
// head-weighted ReLU sum is register math plus a 4-lane shuffle; no cross-warp reduction.
//
// Warpgroup 0: one producer thread reads each item's ranges, hands them to the consumers in a
// small record next to the item's Q (+weights) tile, and streams 64-key K blocks (+scales) with
// TMA into a ring of kStages stages; warps 1-3 write -inf into the columns of each item that
// need no tensor-core work. Warpgroups 1 and 2 consume alternate K blocks, each
// keeping two accumulator sets so the wgmma of block m+2 runs while the epilogue of block m does.
#include <climits>
#include <cstdint>

#include "sm90_primitives.cuh"
#include "sm90_wgmma_fp8.cuh"

namespace aiconf::dsa::detail {

constexpr int kHeadDim = 128;
constexpr int kBlockKeys = 64;
#ifndef AICONF_INDEXER_STAGES
#define AICONF_INDEXER_STAGES 8
#endif
constexpr int kStages = AICONF_INDEXER_STAGES;
constexpr int kMaxGroup = 8;  // queries per group (kN / kH) supported by the item record
constexpr int kThreads = 384;
constexpr int kProducerRegs = 56;
constexpr int kConsumerRegs = 224;

struct LogitsKernelParams {
  float* logits;
  int64_t ld;
  int n_cols;
  int fill;
  int num_items;
  int num_groups;
  int chunk_blocks;
  int num_col_blocks;
  int gen;  // 0: context, 1: generation
  // context
  const int* ks;
  const int* ke;
  int n_tokens;
  // generation
  const int* context_lens;
  int n_next;
  int groups_per_seq;
  const int* block_table;  // null: contiguous (tma z = sequence, y = key)
  int block_table_stride;
  int page_size;
};

template <int kN>
struct SmemLayout {
  static constexpr int kStageBytes = kBlockKeys * kHeadDim;
  static constexpr int kQBytes = kN * kHeadDim;
  static constexpr int kOffK = 0;
  static constexpr int kOffQ = kOffK + kStages * kStageBytes;
  static constexpr int kOffW = kOffQ + 2 * kQBytes;
  static constexpr int kOffScale = kOffW + 2 * kN * 4;
  static constexpr int kOffInfo = kOffScale + kStages * kBlockKeys * 4;
  static constexpr int kOffBar = kOffInfo + 2 * 128;
  static constexpr int kNumBars = 2 * kStages + 4;
  static constexpr int kBytes = kOffBar + kNumBars * 8;
  static constexpr int kAlloc = kBytes + 1024;  // room to align the base to 1024 B (swizzle atom)
};

template <int kG>
struct Item {
  int t0;      // first q / output row of the group
  int b;       // sequence (generation mode)
  int nvalid;  // queries g < nvalid exist
  int ks[kG];
  int ke[kG];
  int cb0, cb1;  // key blocks of the chunk
  int b0, b1;    // key blocks that need tensor-core work (hull of the ranges within the chunk)
};

// What the producer tells the consumers about the item in a Q slot (b1 < 0: no more work).
struct ItemRecord {
  int t0, nvalid, b0, b1;
  int ks[kMaxGroup];
  int ke[kMaxGroup];
};
static_assert(sizeof(ItemRecord) <= 128, "item record must fit its slot");

template <int kG>
__device__ __forceinline__ void load_item(const LogitsKernelParams& p, int item, Item<kG>& it) {
  const int kc = item / p.num_groups;
  const int qg = item - kc * p.num_groups;
  if (p.gen) {
    const int b = qg / p.groups_per_seq;
    const int i0 = (qg - b * p.groups_per_seq) * kG;
    it.b = b;
    it.t0 = b * p.n_next + i0;
    it.nvalid = min(kG, p.n_next - i0);
    const int len = min(__ldg(p.context_lens + b), p.n_cols);
#pragma unroll
    for (int g = 0; g < kG; ++g) {
      it.ks[g] = 0;
      const int e = len - p.n_next + i0 + g + 1;
      it.ke[g] = (g < it.nvalid) ? max(0, min(e, len)) : 0;
    }
  } else {
    it.b = 0;
    it.t0 = qg * kG;
    it.nvalid = min(kG, p.n_tokens - it.t0);
#pragma unroll
    for (int g = 0; g < kG; ++g) {
      int s = 0, e = 0;
      if (g < it.nvalid) {
        s = max(__ldg(p.ks + it.t0 + g), 0);
        e = min(__ldg(p.ke + it.t0 + g), p.n_cols);
        if (e < s) e = s;
      }
      it.ks[g] = s;
      it.ke[g] = e;
    }
  }
  int lo = INT_MAX, hi = 0;
#pragma unroll
  for (int g = 0; g < kG; ++g) {
    if (it.ke[g] > it.ks[g]) {
      lo = min(lo, it.ks[g]);
      hi = max(hi, it.ke[g]);
    }
  }
  it.cb0 = kc * p.chunk_blocks;
  it.cb1 = min(it.cb0 + p.chunk_blocks, p.num_col_blocks);
  if (hi > lo) {
    it.b0 = max(it.cb0, lo / kBlockKeys);
    it.b1 = min(it.cb1, (hi + kBlockKeys - 1) / kBlockKeys);
    if (it.b1 < it.b0) it.b1 = it.b0;
  } else {
    it.b0 = it.b1 = it.cb0;
  }
}

// -inf into columns [lo, hi) of the item's valid rows, spread over kThreadsFill threads;
// 16-byte stores where the row allows it.
template <int kG, int kThreadsFill>
__device__ __forceinline__ void fill_columns(const LogitsKernelParams& p, const Item<kG>& it, int lo, int hi,
                                             int ft) {
  if (hi <= lo) return;
  const float ninf = -__int_as_float(0x7f800000);
  for (int g = 0; g < it.nvalid; ++g) {
    float* row = p.logits + static_cast<int64_t>(it.t0 + g) * p.ld;
    const int mis = static_cast<int>((reinterpret_cast<uintptr_t>(row + lo) >> 2) & 3);
    const int head_end = min(hi, lo + ((4 - mis) & 3));
    const int nvec = (hi - head_end) >> 2;
    const int tail = head_end + 4 * nvec;
    if (ft < head_end - lo) row[lo + ft] = ninf;
    float4* v = reinterpret_cast<float4*>(row + head_end);
    for (int i = ft; i < nvec; i += kThreadsFill) v[i] = make_float4(ninf, ninf, ninf, ninf);
    if (ft < hi - tail) row[tail + ft] = ninf;
  }
}

template <int kH, int kN>
__global__ void __launch_bounds__(kThreads, 1)
    indexer_logits_kernel(const __grid_constant__ CUtensorMap map_q, const __grid_constant__ CUtensorMap map_w,
                          const __grid_constant__ CUtensorMap map_k, const __grid_constant__ CUtensorMap map_s,
                          const LogitsKernelParams p) {
  using namespace aiconf::dsa::sm90;
  using L = SmemLayout<kN>;
  using Mma = WgmmaFp8<kN>;
  constexpr int kG = kN / kH;
  constexpr int kAcc = Mma::kAcc;
  static_assert(kN % kH == 0 && kH % 8 == 0, "heads must tile the wgmma N dimension");
  static_assert(kG <= kMaxGroup, "too many queries per group for the item record");

  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
  uint8_t* sm_k = smem + L::kOffK;
  uint8_t* sm_q = smem + L::kOffQ;
  float* sm_w = reinterpret_cast<float*>(smem + L::kOffW);
  float* sm_scale = reinterpret_cast<float*>(smem + L::kOffScale);
  uint64_t* bars = reinterpret_cast<uint64_t*>(smem + L::kOffBar);
  uint64_t* full = bars;
  uint64_t* empty = bars + kStages;
  uint64_t* q_full = bars + 2 * kStages;
  uint64_t* q_empty = bars + 2 * kStages + 2;

  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(&full[s], 1);
      mbar_init(&empty[s], 4);  // the 4 warps of the consuming warpgroup
    }
    for (int s = 0; s < 2; ++s) {
      mbar_init(&q_full[s], 1);
      mbar_init(&q_empty[s], 8);  // all 8 consumer warps
    }
    fence_barrier_init();
  }
  __syncthreads();

  // Warp-uniform in the compiler's eyes (a shuffle result), which keeps ptxas from treating the
  // role branches as divergent around wgmma.
  const int wg = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x / 128), 0);
  const int lane = threadIdx.x & 31;
  ItemRecord* info = reinterpret_cast<ItemRecord*>(smem + L::kOffInfo);

  if (wg == 0) {
    setmaxnreg_dec<kProducerRegs>();
    if (threadIdx.x >= 32) {
      // Warps 1-3: -inf for the columns of each item outside its computed blocks, off the
      // consumers' critical path (the consumers write the computed blocks, masked keys included).
      if (!p.fill) return;
      for (int item = blockIdx.x; item < p.num_items; item += gridDim.x) {
        Item<kG> it;
        load_item<kG>(p, item, it);
        const int c0 = it.cb0 * kBlockKeys;
        const int c1 = min(it.cb1 * kBlockKeys, p.n_cols);
        fill_columns<kG, 96>(p, it, c0, min(it.b0 * kBlockKeys, c1), threadIdx.x - 32);
        fill_columns<kG, 96>(p, it, max(it.b1 * kBlockKeys, c0), c1, threadIdx.x - 32);
      }
      return;
    }
#ifdef AICONF_INDEXER_WARP_PRODUCER
    // Warp 0 produces. All 32 lanes run the loop so that the block-table entries of an item can
    // be fetched in one parallel load (lane i: blocks i and i + 32) instead of one dependent
    // load per block; lane 0 alone issues the barrier operations and TMA copies.
    const bool leader = lane == 0;
    if (leader) {
      prefetch_tma_map(&map_q);
      prefetch_tma_map(&map_w);
      prefetch_tma_map(&map_k);
      prefetch_tma_map(&map_s);
    }
    uint32_t gi = 0, qk = 0;
    for (int item = blockIdx.x; item < p.num_items; item += gridDim.x) {
      Item<kG> it;
      load_item<kG>(p, item, it);
      if (it.b1 <= it.b0) continue;
      const int nb = it.b1 - it.b0;  // <= chunk_blocks <= 64
      int page_lo = 0, page_hi = 0;
      if (p.gen && p.block_table != nullptr) {
        const int* row = p.block_table + static_cast<int64_t>(it.b) * p.block_table_stride;
        if (lane < nb) page_lo = __ldg(row + ((it.b0 + lane) * kBlockKeys) / p.page_size);
        if (lane + 32 < nb) page_hi = __ldg(row + ((it.b0 + lane + 32) * kBlockKeys) / p.page_size);
      }
      const int slot = qk & 1;
      if (leader) {
        mbar_wait(&q_empty[slot], ((qk >> 1) & 1) ^ 1);
        ItemRecord& rec = info[slot];
        rec.t0 = it.t0;
        rec.nvalid = it.nvalid;
        rec.b0 = it.b0;
        rec.b1 = it.b1;
#pragma unroll
        for (int g = 0; g < kG; ++g) {
          rec.ks[g] = it.ks[g];
          rec.ke[g] = it.ke[g];
        }
        // The arrive releases the record stores above to the consumers that acquire q_full.
        mbar_arrive_expect_tx(&q_full[slot], L::kQBytes + kN * 4);
        tma_load_2d(sm_q + slot * L::kQBytes, &map_q, &q_full[slot], 0, it.t0 * kH);
        tma_load_2d(sm_w + slot * kN, &map_w, &q_full[slot], 0, it.t0);
      }
      ++qk;
      for (int i = 0; i < nb; ++i, ++gi) {
        const int j = it.b0 + i;
        const int page = __shfl_sync(0xffffffffu, i < 32 ? page_lo : page_hi, i & 31);
        if (!leader) continue;
        const int s = gi % kStages;
        mbar_wait(&empty[s], ((gi / kStages) & 1) ^ 1);
        const int key0 = j * kBlockKeys;
        int y = key0, z = 0;
        if (p.gen) {
          if (p.block_table != nullptr) {
            z = page;
            y = key0 % p.page_size;
          } else {
            z = it.b;
          }
        }
        mbar_arrive_expect_tx(&full[s], L::kStageBytes + kBlockKeys * 4);
        tma_load_3d(sm_k + s * L::kStageBytes, &map_k, &full[s], 0, y, z);
        tma_load_2d(sm_scale + s * kBlockKeys, &map_s, &full[s], y, z);
      }
      __syncwarp();
    }
    // End of work: an item record with b1 < 0.
    if (leader) {
      const int slot = qk & 1;
      mbar_wait(&q_empty[slot], ((qk >> 1) & 1) ^ 1);
      info[slot].b1 = -1;
      mbar_arrive(&q_full[slot]);
    }
    return;
  }

#else
    // One producer thread (measured faster than the whole-warp variant above on H200, run 3).
    if (threadIdx.x != 0) return;
    prefetch_tma_map(&map_q);
    prefetch_tma_map(&map_w);
    prefetch_tma_map(&map_k);
    prefetch_tma_map(&map_s);
    uint32_t gi = 0, qk = 0;
    for (int item = blockIdx.x; item < p.num_items; item += gridDim.x) {
      Item<kG> it;
      load_item<kG>(p, item, it);
      if (it.b1 <= it.b0) continue;
      const int slot = qk & 1;
      mbar_wait(&q_empty[slot], ((qk >> 1) & 1) ^ 1);
      ItemRecord& rec = info[slot];
      rec.t0 = it.t0;
      rec.nvalid = it.nvalid;
      rec.b0 = it.b0;
      rec.b1 = it.b1;
#pragma unroll
      for (int g = 0; g < kG; ++g) {
        rec.ks[g] = it.ks[g];
        rec.ke[g] = it.ke[g];
      }
      // The arrive releases the record stores above to the consumers that acquire q_full.
      mbar_arrive_expect_tx(&q_full[slot], L::kQBytes + kN * 4);
      tma_load_2d(sm_q + slot * L::kQBytes, &map_q, &q_full[slot], 0, it.t0 * kH);
      tma_load_2d(sm_w + slot * kN, &map_w, &q_full[slot], 0, it.t0);
      ++qk;
      for (int j = it.b0; j < it.b1; ++j, ++gi) {
        const int s = gi % kStages;
        mbar_wait(&empty[s], ((gi / kStages) & 1) ^ 1);
        const int key0 = j * kBlockKeys;
        int y = key0, z = 0;
        if (p.gen) {
          if (p.block_table != nullptr) {
            z = __ldg(p.block_table + static_cast<int64_t>(it.b) * p.block_table_stride + key0 / p.page_size);
            y = key0 % p.page_size;
          } else {
            z = it.b;
          }
        }
        mbar_arrive_expect_tx(&full[s], L::kStageBytes + kBlockKeys * 4);
        tma_load_3d(sm_k + s * L::kStageBytes, &map_k, &full[s], 0, y, z);
        tma_load_2d(sm_scale + s * kBlockKeys, &map_s, &full[s], y, z);
      }
    }
    // End of work: an item record with b1 < 0.
    const int slot = qk & 1;
    mbar_wait(&q_empty[slot], ((qk >> 1) & 1) ^ 1);
    info[slot].b1 = -1;
    mbar_arrive(&q_full[slot]);
    return;
  }

#endif
  // ---------------- consumers ----------------
  setmaxnreg_inc<kConsumerRegs>();
  const int c = wg - 1;                   // which consumer warpgroup
  const int tid = threadIdx.x - 128 * wg;  // thread in warpgroup
  const int warp = tid >> 5;
  const int r0 = warp * 16 + (lane >> 2);  // accumulator rows r0 and r0 + 8 (keys within a block)
  const float neg_inf = -__int_as_float(0x7f800000);

  float wreg[kN / 4];

  uint32_t gi = 0, qk = 0;
  while (true) {
    float acc_a[kAcc];  // per item, so no accumulator is live across the item loop's back edge
    float acc_b[kAcc];
    const int slot = qk & 1;
    mbar_wait(&q_full[slot], (qk >> 1) & 1);
    const ItemRecord& rec = info[slot];
    const int b0 = __shfl_sync(0xffffffffu, rec.b0, 0);
    const int b1 = __shfl_sync(0xffffffffu, rec.b1, 0);
    const int nb = b1 - b0;
    if (b1 < 0) break;
    const int t0 = rec.t0;
    const int nvalid = rec.nvalid;
    int ks[kG], ke[kG];
#pragma unroll
    for (int g = 0; g < kG; ++g) {
      ks[g] = rec.ks[g];
      ke[g] = rec.ke[g];
    }
    {
      const float* w = sm_w + slot * kN;
#pragma unroll
      for (int j = 0; j < kN / 8; ++j) {
        const float2 v = *reinterpret_cast<const float2*>(w + 8 * j + 2 * (lane & 3));
        wreg[2 * j] = v.x;
        wreg[2 * j + 1] = v.y;
      }
    }
    const uint64_t desc_q = make_smem_desc_sw128(smem_u32(sm_q + slot * L::kQBytes));
    const uint32_t gbase = gi;

    auto issue = [&](float(&acc)[kAcc], int m) {
      const uint32_t gb = gbase + m;
      const int s = gb % kStages;
      mbar_wait(&full[s], (gb / kStages) & 1);
      __syncwarp();
      const uint64_t desc_k = make_smem_desc_sw128(smem_u32(sm_k + s * L::kStageBytes));
      wgmma_fence();
      // +32 bytes along K inside the swizzled 128-byte rows = +2 in the descriptor's address field
      Mma::mma_zero(acc, desc_k, desc_q);
#pragma unroll
      for (int kk = 1; kk < kHeadDim / 32; ++kk) Mma::mma(acc, desc_k + 2 * kk, desc_q + 2 * kk);
      wgmma_commit();
      // No operand fence here: touching acc before its wait would serialise the wgmma (C7514).
    };

    auto epilogue = [&](float(&acc)[kAcc], int m) {
      const uint32_t gb = gbase + m;
      const int s = gb % kStages;
      const float sc0 = sm_scale[s * kBlockKeys + r0];
      const float sc1 = sm_scale[s * kBlockKeys + r0 + 8];
      __syncwarp();
      if (lane == 0) mbar_arrive(&empty[s]);  // this warp's reads of stage s are done

      float sum0[kG], sum1[kG];
#if defined(AICONF_INDEXER_SPLIT_CHAINS) && !defined(AICONF_INDEXER_DIAG_NO_EPILOGUE)
      // Two partial sums per (query, row): shorter FFMA dependency chains for the few warps
      // each scheduler has.
      float part0[kG][2], part1[kG][2];
#pragma unroll
      for (int g = 0; g < kG; ++g) part0[g][0] = part0[g][1] = part1[g][0] = part1[g][1] = 0.f;
#pragma unroll
      for (int j = 0; j < kN / 8; ++j) {
        const int g = (8 * j) / kH;
        const int e = j & 1;
        part0[g][e] = fmaf(wreg[2 * j], fmaxf(acc[4 * j + 0], 0.f), part0[g][e]);
        part1[g][e] = fmaf(wreg[2 * j], fmaxf(acc[4 * j + 2], 0.f), part1[g][e]);
        part0[g][e] = fmaf(wreg[2 * j + 1], fmaxf(acc[4 * j + 1], 0.f), part0[g][e]);
        part1[g][e] = fmaf(wreg[2 * j + 1], fmaxf(acc[4 * j + 3], 0.f), part1[g][e]);
      }
#pragma unroll
      for (int g = 0; g < kG; ++g) {
        sum0[g] = part0[g][0] + part0[g][1];
        sum1[g] = part1[g][0] + part1[g][1];
      }
#elif !defined(AICONF_INDEXER_DIAG_NO_EPILOGUE)
#pragma unroll
      for (int g = 0; g < kG; ++g) sum0[g] = sum1[g] = 0.f;
#pragma unroll
      for (int j = 0; j < kN / 8; ++j) {
        const int g = (8 * j) / kH;
        sum0[g] = fmaf(wreg[2 * j], fmaxf(acc[4 * j + 0], 0.f), sum0[g]);
        sum0[g] = fmaf(wreg[2 * j + 1], fmaxf(acc[4 * j + 1], 0.f), sum0[g]);
        sum1[g] = fmaf(wreg[2 * j], fmaxf(acc[4 * j + 2], 0.f), sum1[g]);
        sum1[g] = fmaf(wreg[2 * j + 1], fmaxf(acc[4 * j + 3], 0.f), sum1[g]);
      }
#else
#pragma unroll
      for (int g = 0; g < kG; ++g) sum0[g] = sum1[g] = 0.f;
      // Diagnostic build: keep the tensor-core work, drop the ReLU/weight math.
      sum0[0] = acc[0] * wreg[0] + acc[kAcc - 1];
      sum1[0] = acc[2] * wreg[1] + acc[kAcc - 2];
#endif
      const int key0 = (b0 + m) * kBlockKeys + r0;
      const int key1 = key0 + 8;
#pragma unroll
      for (int g = 0; g < kG; ++g) {
        sum0[g] += __shfl_xor_sync(0xffffffffu, sum0[g], 1);
        sum1[g] += __shfl_xor_sync(0xffffffffu, sum1[g], 1);
        sum0[g] += __shfl_xor_sync(0xffffffffu, sum0[g], 2);
        sum1[g] += __shfl_xor_sync(0xffffffffu, sum1[g], 2);
        if ((lane & 3) == (g & 3) && g < nvalid) {
          float* row = p.logits + static_cast<int64_t>(t0 + g) * p.ld;
          const bool in0 = key0 >= ks[g] && key0 < ke[g];
          const bool in1 = key1 >= ks[g] && key1 < ke[g];
          if (key0 < p.n_cols && (in0 || p.fill)) row[key0] = in0 ? sum0[g] * sc0 : neg_inf;
          if (key1 < p.n_cols && (in1 || p.fill)) row[key1] = in1 ? sum1[g] * sc1 : neg_inf;
        }
      }
    };

    // This warpgroup takes the item's blocks m with (gbase + m) % 2 == c, two at a time
    // (A: m, B: m + 2): the epilogue of A runs under the MMA of B, the epilogue of B under the
    // other warpgroup's MMAs. Nothing is in flight across the loop's back edge: ptxas cannot
    // track wgmma groups around a loop and would otherwise serialise every wgmma (C7514).
    const int first = ((gbase & 1) == static_cast<uint32_t>(c)) ? 0 : 1;
    for (int m = first; m < nb; m += 4) {
      issue(acc_a, m);
      if (m + 2 < nb) {
        issue(acc_b, m + 2);
        wgmma_wait<1>();
        fence_operands(acc_a);
        epilogue(acc_a, m);
        wgmma_wait<0>();
        fence_operands(acc_b);
        epilogue(acc_b, m + 2);
      } else {
        wgmma_wait<0>();
        fence_operands(acc_a);
        epilogue(acc_a, m);
      }
    }
    __syncwarp();
    if (lane == 0) mbar_arrive(&q_empty[slot]);
    gi += nb;
    ++qk;
  }
}

}  // namespace aiconf::dsa::detail
